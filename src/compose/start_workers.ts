/**
 * The background workers: lease expiry, backend revocation retries, and the orphan sweep of database users no
 * lease owns. Each pass that fails is logged and retried on the next tick; `stop()` waits for a running pass.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { sweepExpiredLeases } from '../leases/expiry_sweeper.ts';
import { ORPHAN_SWEEP_INTERVAL_MS, sweepOrphans } from '../leases/orphan_sweeper.ts';
import { every, runRevocations } from '../leases/revocation_worker.ts';
import type { GatewayServices } from '../services.ts';

export type Worker = { stop(): Promise<void> };

export function startWorkers(config: Config, services: GatewayServices, logger: Logger): Worker[] {
  const onWorkerError = (err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'background pass failed');
  return [
    every(config.leases.sweep_interval_ms, () => sweepExpiredLeases(services), onWorkerError),
    every(1000, () => runRevocations(services, services.replica, config.leases.revocation_stale_after_ms), onWorkerError),
    // Database users no lease owns (a crash between CREATE USER and the lease record): src/leases/orphan_sweeper.ts.
    every(ORPHAN_SWEEP_INTERVAL_MS, () => sweepOrphans(services, Object.keys(config.mounts)), onWorkerError),
  ];
}
