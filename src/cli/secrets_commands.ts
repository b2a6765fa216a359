/** `crefgate secrets put`: writes a secret into the embedded local store (sealed file) of a state folder. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { putSecret } from '../../adapters/local/sealed_file.ts';
import { decodeKey } from '../../adapters/local/key.ts';

export function registerSecretsCommands(program: Command): void {
  const secrets = program.command('secrets').description('manage the embedded local store');
  secrets
    .command('put <path>')
    .description('seal a secret read from stdin (or --value) at a backend path, e.g. tenants/tenant_abc/api_key')
    .option('--dir <dir>', 'state folder', process.env.CREFGATE_DIR ?? '.crefgate')
    .option('--value <value>', 'the value (prefer stdin: values on the command line land in shell history)')
    .action(async (secretPath: string, o: { dir: string; value?: string }) => {
      const dir = path.resolve(o.dir);
      const keyFile = path.join(dir, 'keys', 'local-store.key');
      const key = decodeKey(readFileSync(keyFile, 'utf8'), keyFile);
      const value = o.value ?? readFileSync(0, 'utf8').replace(/\n$/, '');
      const version = await putSecret(path.join(dir, 'local-secrets.json'), key, 'local-1', secretPath, value);
      process.stdout.write(`${JSON.stringify({ path: secretPath, version })}\n`);
    });
}
