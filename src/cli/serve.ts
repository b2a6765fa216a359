/** `crefgate serve --config F` and `crefgate dev`: run the gateway until SIGTERM/SIGINT, then shut down cleanly. */
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { DEFAULT_GATEWAY_PORT } from '../config/defaults.ts';
import { OPS_DEFAULTS } from '../ops/config.ts';
import { ensureDevState } from '../dev/bootstrap.ts';
import { createGateway, type Gateway } from '../gateway.ts';
import { createLogger, describeError } from '../log.ts';
import { missingGatewayFlags } from '../runtime_flags.ts';

/** The ports this instance listens on, for the start-up message. */
interface ListeningPorts {
  gateway: number;
  ops?: number | undefined;
  bootstrap?: number | undefined;
}

/** Listens, turning a port clash into a one-line reason that names the override for each listener. */
async function listen(gateway: Gateway, config: Config): Promise<ListeningPorts> {
  try {
    const address = await gateway.listen();
    const bootstrap = gateway.bootstrap?.server.address();
    return { gateway: address.port, ops: gateway.ops.address()?.port, bootstrap: typeof bootstrap === 'object' && bootstrap !== null ? bootstrap.port : undefined };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    const ports = [
      `gateway ${config.gateway.port} (CREFGATE_PORT)`,
      ...(config.ops.enabled ? [`ops ${config.ops.port} (CREFGATE_OPS_PORT)`] : []),
      ...(config.bootstrap === undefined ? [] : [`bootstrap ${config.bootstrap.port} (CREFGATE_BOOTSTRAP_PORT)`]),
    ];
    await gateway.close().catch(() => undefined);
    throw new ConfigError(`${(err as Error).message}: another process holds one of this instance's ports: ${ports.join(', ')}; set the variable in brackets (0: any free port)`);
  }
}

async function run(configFile: string, onListening: (ports: ListeningPorts) => void, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { config, configDir } = await loadConfig(configFile, env);
  const logger = createLogger();
  const gateway = await createGateway(config, { configDir, logger });
  const ports = await listen(gateway, config);
  logger.info({ host: config.gateway.host, port: ports.gateway, ops_port: ports.ops, bootstrap_port: ports.bootstrap, state: config.state.kind }, 'crefgate listening');
  const missing = missingGatewayFlags();
  if (missing.length > 0) logger.warn({ missing }, 'started without the gateway Node flags (see src/runtime_flags.ts): memory under load will run higher');
  onListening(ports);
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

function devInstructions(dir: string, ports: ListeningPorts): string {
  const port = ports.gateway;
  const rel = path.relative(process.cwd(), dir) || '.';
  const flags = rel === '.crefgate' ? '' : ` --dir ${rel}`;
  const url = port === DEFAULT_GATEWAY_PORT ? '' : ` --url https://127.0.0.1:${port}`;
  return [
    '',
    `crefgate embedded default is running on https://127.0.0.1:${port} (state in ${rel}/)`,
    ports.ops === undefined ? 'ops listener off' : `metrics and probes on http://127.0.0.1:${ports.ops} (ops listener)`,
    `ports: gateway ${port} (CREFGATE_PORT or --port), ops ${ports.ops ?? 'off'} (CREFGATE_OPS_PORT or --ops-port)`,
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
    .option('--port <port>', `gateway listen port (env CREFGATE_PORT; default ${DEFAULT_GATEWAY_PORT})`)
    .option('--ops-port <port>', `ops listener port: metrics, probes (env CREFGATE_OPS_PORT; default ${OPS_DEFAULTS.port})`)
    .action(async (options: { dir: string; port?: string; opsPort?: string }) => {
      // Flags win over the environment, which wins over the state folder's config.yaml; each is validated as the
      // config overrides are (one line naming the variable, never NaN).
      const port = options.port ?? process.env.CREFGATE_PORT;
      const opsPort = options.opsPort ?? process.env.CREFGATE_OPS_PORT;
      const env = { ...process.env, ...(port === undefined ? {} : { CREFGATE_PORT: port }), ...(opsPort === undefined ? {} : { CREFGATE_OPS_PORT: opsPort }) };
      const state = await ensureDevState(options.dir, port === undefined ? DEFAULT_GATEWAY_PORT : Number(port) || 0);
      process.stderr.write(state.created ? `created state folder ${state.dir}\n` : `reusing state folder ${state.dir}\n`);
      await run(state.configFile, (ports) => process.stderr.write(devInstructions(state.dir, ports)), env);
    });
}
