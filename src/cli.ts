#!/usr/bin/env node
/** The `crefgate` command line. Each area registers its own commands. */
import { Command } from 'commander';
import { registerAuditCommands } from './cli/audit_commands.ts';
import { registerClientCommands } from './cli/client_commands.ts';
import { registerConfigCommands } from './cli/config_commands.ts';
import { registerDocsCommands } from './cli/docs_commands.ts';
import { registerPluginCommands } from './cli/plugin_commands.ts';
import { registerSecretsCommands } from './cli/secrets_commands.ts';
import { registerServeCommands } from './cli/serve.ts';
import { ConfigError } from './config/load.ts';
import { CrefgateError } from './client/index.ts';

/** The command tree; exported so a test can walk every subcommand (test/ops/command_line.test.ts). */
export const program = new Command('crefgate').description('zero-trust credential gateway').showHelpAfterError();
registerServeCommands(program);
registerClientCommands(program);
registerSecretsCommands(program);
registerAuditCommands(program);
registerDocsCommands(program);
registerConfigCommands(program);
registerPluginCommands(program);

// Run only as the entry point (bin/crefgate, npm run crefgate), not when a test imports the tree.
if (import.meta.main) program.parseAsync(process.argv).catch((err: unknown) => {
  // Users see a one-line reason; a stack trace only helps us, and may carry paths or values they did not ask for.
  if (err instanceof ConfigError || err instanceof CrefgateError) process.stderr.write(`crefgate: ${err.message}\n`);
  else process.stderr.write(`crefgate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof CrefgateError ? 2 : 1);
});
