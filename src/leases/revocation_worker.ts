/**
 * Performs queued backend revocations: claims due tasks (including ones a dead replica left behind), calls the
 * adapter's idempotent `revoke`, acks on success, and retries with exponential backoff on failure, forever:
 * a dynamic credential must not outlive its lease because a backend was down for a while.
 */
import { DEFAULT_REVOCATION_STALE_AFTER_MS } from '../config/defaults.ts';
import type { GatewayServices } from '../services.ts';

const BATCH = 20;
/** A claim not acked or retried for this long is presumed orphaned by a dead replica (the config default). */
export const STALE_AFTER_MS = DEFAULT_REVOCATION_STALE_AFTER_MS;
const MAX_BACKOFF_MS = 5 * 60_000;

/** Exponential backoff with a cap: 1 s, 2 s, 4 s … 5 min. */
export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempts, 20));
}

/** One pass; returns how many revocations succeeded. */
export async function runRevocations(services: GatewayServices, consumer: string, staleAfterMs = STALE_AFTER_MS): Promise<number> {
  const claimed = await services.state.revocations.claim(consumer, BATCH, staleAfterMs);
  let done = 0;
  for (const { id, task, attempts } of claimed) {
    const base = {
      action: 'revocation' as const,
      actor: { type: 'system' as const, id: services.replica, auth: 'system' as const },
      tenant: task.tenant,
      job_id: task.jobId,
      executor: task.executor,
      lease_ids: [task.leaseId],
      detail: { mount: task.mount, cause: task.cause, attempts: attempts + 1 },
    };
    try {
      const adapter = services.mounts.has(task.mount) ? services.mounts.get(task.mount) : undefined;
      if (adapter?.revoke === undefined) throw new Error(`mount ${task.mount} cannot revoke`);
      // What the backend did (sessions ended, user dropped) goes into the trail as proof of revocation.
      const backend = await adapter.revoke({ handle: task.handle, signal: AbortSignal.timeout(30_000) });
      await services.audit.record({ ...base, outcome: 'ok', ...(backend ? { detail: { ...base.detail, backend } } : {}) });
      await services.state.revocations.ack(id);
      done++;
    } catch (err) {
      await services.state.revocations.retry(id, backoffMs(attempts)).catch(() => undefined);
      const reason = err instanceof Error && 'reason' in err ? String((err as { reason: unknown }).reason) : 'revoke failed';
      await services.audit.record({ ...base, outcome: 'error', step: 'backend', reason }).catch(() => undefined);
    }
  }
  return done;
}

/** Runs `task` every `intervalMs` until stopped; a failing pass is retried on the next tick, never thrown. */
export function every(intervalMs: number, task: () => Promise<unknown>, onError: (err: unknown) => void): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const timer = setInterval(() => {
    if (stopped) return;
    running = running.then(() => (stopped ? undefined : task().catch(onError)));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
