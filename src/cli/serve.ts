/** `crefgate serve --config F` and `crefgate dev`: run the gateway until SIGTERM/SIGINT, then shut down cleanly. */
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { ensureDevState } from '../dev/bootstrap.ts';
import { createGateway } from '../gateway.ts';
import { createLogger, describeError } from '../log.ts';
import { missingGatewayFlags } from '../runtime_flags.ts';

async function run(configFile: string, onListening: (port: number) => void): Promise<void> {
  const { config, configDir } = await loadConfig(configFile);
  const logger = createLogger();
  const gateway = await createGateway(config, { configDir, logger });
  const address = await gateway.listen();
  logger.info({ host: address.address, port: address.port, state: config.state.kind }, 'crefgate listening');
  const missing = missingGatewayFlags();
  if (missing.length > 0) logger.warn({ missing }, 'started without the gateway Node flags (see src/runtime_flags.ts): memory under load will run higher');
  onListening(address.port);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests, flushing audit');
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ error: describeError(err, true) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function devInstructions(dir: string, port: number): string {
  const rel = path.relative(process.cwd(), dir) || '.';
  const flags = rel === '.crefgate' ? '' : ` --dir ${rel}`;
  const url = port === 8443 ? '' : ` --url https://127.0.0.1:${port}`;
  return [
    '',
    `crefgate embedded default is running on https://127.0.0.1:${port} (state in ${rel}/)`,
    '',
    'In another terminal, issue a job as the coordinator and resolve it as the executor:',
    '',
    `  ./bin/crefgate job issue${flags}${url} --tenant tenant_abc --executor exec-01 --cref github=cref://tenant_abc/github_token --ttl 600 > envelope.json`,
    `  ./bin/crefgate resolve${flags}${url} --envelope envelope.json`,
    '',
    'Resolving the same envelope again is refused as a replay. Finish the job to revoke its leases:',
    '',
    `  ./bin/crefgate job complete${flags}${url} "$(node -p 'require("./envelope.json").payload.job_id')"`,
    `  ./bin/crefgate audit verify ${rel}/audit/crefgate.log`,
    '',
  ].join('\n');
}

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('run the gateway with a config file')
    .requiredOption('-c, --config <file>', 'YAML or JSON config')
    .action(async (options: { config: string }) => {
      await run(options.config, () => undefined);
    });

  program
    .command('dev')
    .description('run the embedded default: local CA, keys, sealed local store, in-memory state')
    .option('--dir <dir>', 'state folder', process.env.CREFGATE_DIR ?? '.crefgate')
    .option('--port <port>', 'listen port', (v) => Number(v), Number(process.env.CREFGATE_PORT ?? 8443))
    .action(async (options: { dir: string; port: number }) => {
      const state = await ensureDevState(options.dir, options.port);
      process.stderr.write(state.created ? `created state folder ${state.dir}\n` : `reusing state folder ${state.dir}\n`);
      await run(state.configFile, (port) => process.stderr.write(devInstructions(state.dir, port)));
    });
}
