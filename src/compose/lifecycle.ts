/**
 * Start and stop in order. Listening: the bootstrap listener, the mTLS listener, then the ops listener (readiness
 * turns ready last). Closing: readiness turns 503 first; then the mTLS listener stops accepting and lets in-flight
 * requests finish (their audit events included); keep-alive connections are closed as soon as they fall idle and
 * past the drain deadline the rest (a stuck backend, a long audit stream) are cut. Then the bootstrap listener,
 * the proxy, the workers, the mounts, signals, the audit trail and the store (unless injected); ops goes last.
 */
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.ts';
import type { GatewayOps } from '../ops/index.ts';
import type { BuiltServices } from './build_services.ts';
import type { Listeners } from './build_listeners.ts';
import type { GatewayOptions } from './options.ts';
import type { Worker } from './start_workers.ts';

export interface Running {
  config: Config;
  options: GatewayOptions;
  ops: GatewayOps;
  built: BuiltServices;
  listeners: Listeners;
  workers: Worker[];
}

export async function listenAll(r: Running): Promise<AddressInfo> {
  const { server, bootstrap } = r.listeners;
  await bootstrap?.listen();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(r.config.gateway.port, r.config.gateway.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  await r.ops.listen(r.built.services);
  return address;
}

/** Stops accepting, lets in-flight requests finish, and cuts what is left at the drain deadline. */
function drain(server: https.Server, deadlineMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}

export async function closeAll(r: Running): Promise<void> {
  const { built, listeners, options } = r;
  r.ops.beginDrain();
  await drain(listeners.server, r.config.ops.drain_timeout_ms);
  await listeners.bootstrap?.close();
  built.services.proxy?.close();
  await Promise.all(r.workers.map((w) => w.stop()));
  await built.mounts.close();
  await built.signals?.close();
  if (options.audit === undefined) await built.audit.close();
  if (options.state === undefined) await built.state.close();
  await r.ops.close();
}
