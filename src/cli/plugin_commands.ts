/** `crefgate plugin pin DIR`: writes a plugin folder's manifest and prints the pin that goes in config. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { buildManifest, MANIFEST_NAME, sha256Hex } from '../../adapters/plugin/manifest.ts';

export function registerPluginCommands(program: Command): void {
  const plugin = program.command('plugin').description('out-of-tree adapter plugins');
  plugin
    .command('pin <dir>')
    .description(`write <dir>/${MANIFEST_NAME} (SHA-256 of every file) and print the config pin`)
    .requiredOption('--entry <file>', 'the module exporting `adapter`, relative to <dir>')
    .action(async (dir: string, options: { entry: string }) => {
      const manifest = await buildManifest(dir);
      if (!(JSON.parse(manifest) as { files: Record<string, string> }).files[options.entry]) {
        throw new Error(`${options.entry} is not a file in ${dir}`);
      }
      await writeFile(path.join(dir, MANIFEST_NAME), manifest);
      process.stdout.write(`plugins:\n  - module: ${path.join(dir, options.entry)}\n    sha256: ${sha256Hex(manifest)}\n`);
    });
}
