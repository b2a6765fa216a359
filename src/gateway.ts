/**
 * `createGateway`: validated config in, a running gateway out. This file is the table of contents; each step
 * lives in src/compose/: build the services (./compose/build_services.ts), the two listeners around one Koa
 * pipeline (./compose/build_listeners.ts), the background workers (./compose/start_workers.ts), and listen and
 * close in order (./compose/lifecycle.ts; `close()` flushes the audit trail).
 */
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildListeners, readTls, type Listeners } from './compose/build_listeners.ts';
import { buildServices } from './compose/build_services.ts';
import { closeAll, listenAll } from './compose/lifecycle.ts';
import type { Gateway, GatewayOptions } from './compose/options.ts';
import { startWorkers } from './compose/start_workers.ts';
import type { Config } from './config/schema.ts';
import { createLogger } from './log.ts';
import { GatewayOps } from './ops/index.ts';

export type { Gateway, GatewayOptions } from './compose/options.ts';

export async function createGateway(config: Config, options: GatewayOptions): Promise<Gateway> {
  // Where relative paths point, who this replica is, and the clock: shared by every part.
  const now = options.now ?? Date.now;
  const logger = options.logger ?? createLogger();
  const baseDir = path.resolve(options.configDir, config.state_dir);
  const file = (p: string) => path.resolve(baseDir, p);
  const replica = options.replica ?? `${os.hostname()}-${process.pid}`;

  // Metrics and tracing first: the store, the trail and the mounts are built instrumented.
  const ops = new GatewayOps({ ops: config.ops, tracing: config.tracing, logger, tracerProvider: options.tracerProvider });
  const tls = readTls(config, file);
  let listeners: Listeners | undefined;
  const listeningPort = () => (listeners?.server.address() as AddressInfo | null | undefined)?.port;
  const built = await buildServices({ config, options, logger, ops, now, replica, baseDir, file, listeningPort });
  const { services } = built;

  // One Koa pipeline on both listeners, with the same request observers (log line, metrics, span).
  listeners = await buildListeners({ config, options, services, logger, tls, observers: [ops.middleware()], file });
  const workers = options.workers === false ? [] : startWorkers(config, services, logger);

  const running = { config, options, ops, built, listeners, workers };
  let closing: Promise<void> | undefined;
  return {
    services,
    server: listeners.server,
    ops,
    bootstrap: listeners.bootstrap,
    listen: () => listenAll(running),
    close: () => (closing ??= closeAll(running)),
  };
}
