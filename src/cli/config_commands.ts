/** `crefgate config check FILE…`: validate config files without starting the gateway (exit 0 OK, 1 problems). */
import type { Command } from 'commander';
import { checkConfigFile } from '../config/check.ts';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('configuration files');
  config
    .command('check <files...>')
    .description('validate schema, routes, mounts, plugins and policy of config files; no network, nothing started')
    .action(async (files: string[]) => {
      const failures: string[] = [];
      for (const file of files) {
        try {
          const found = await checkConfigFile(file);
          process.stdout.write(`OK ${file}: ${found.state} state, ${found.mounts} mounts, ${found.routes} routes, ${found.tenants} tenants\n`);
        } catch (err) {
          failures.push(err instanceof Error ? err.message : String(err));
        }
      }
      // Every file is checked before the exit, so one bad example does not hide the next.
      if (failures.length > 0) throw new Error(failures.join('\ncrefgate: '));
    });
}
