/**
 * Undoing what a failed resolve left behind, without losing a backend revocation:
 * - a recorded lease is revoked through the store, which queues its backend revocation in the same atomic step;
 *   if the store is down the revoke is retried in the background, and if the process dies first the lease stays
 *   `active` with its handle until the expiry sweep ends it (and queues the revocation then);
 * - a dynamic credential that never got a lease (another cref failed, or the lease write was refused) has only
 *   this process's memory: its revocation is queued directly, retried in the background while the queue fails,
 *   and every outcome that is not a plain success is audited (`revocation`, outcome `error`).
 */
import type { DynamicSecret, JsonValue } from '../../adapters/contract.ts';
import type { CheckedResolve } from '../chain/context.ts';
import { backoffMs } from '../leases/revocation_worker.ts';
import type { GatewayServices } from '../services.ts';
import type { LeaseRecord, RevocationTask } from '../state/contract.ts';
import type { Fetched } from './fetch_secrets.ts';

/** Background retries stop after this many attempts (about 10 minutes with the worker's backoff). */
const MAX_ATTEMPTS = 12;

const retryLater = (work: () => void, attempt: number): void => {
  setTimeout(work, Math.min(backoffMs(attempt), 60_000)).unref();
};

/** Revokes a lease a failed resolve recorded; retried in the background while the store fails. */
export async function revokeEventually(services: GatewayServices, lease: LeaseRecord, cause: string, attempt = 0): Promise<void> {
  try {
    await services.state.leases.revoke(lease.leaseId, cause);
  } catch {
    // The record keeps its handle: if every retry fails, the expiry sweep still ends it and queues the revocation.
    if (attempt + 1 < MAX_ATTEMPTS) retryLater(() => void revokeEventually(services, lease, cause, attempt + 1), attempt);
  }
}

async function auditQueueFailure(services: GatewayServices, checked: CheckedResolve, task: RevocationTask, reason: string): Promise<void> {
  const payload = checked.envelope.payload;
  await services.audit
    .record({
      action: 'revocation',
      outcome: 'error',
      step: 'lease',
      reason,
      actor: { type: 'system', id: services.replica, auth: 'system' },
      tenant: payload.tenant,
      job_id: payload.job_id,
      executor: payload.executor,
      lease_ids: [task.leaseId],
      detail: { mount: task.mount, cause: task.cause },
    })
    .catch(() => undefined);
}

async function enqueueEventually(services: GatewayServices, checked: CheckedResolve, task: RevocationTask, attempt = 0): Promise<void> {
  try {
    await services.state.revocations.enqueue(task);
    // The worker audits the revocation itself; a late success after failures is worth a line of its own.
    if (attempt > 0) await auditQueueFailure(services, checked, task, `revocation queued after ${attempt + 1} attempts`);
  } catch {
    if (attempt === 0) await auditQueueFailure(services, checked, task, 'revocation could not be queued yet; retrying');
    if (attempt + 1 < MAX_ATTEMPTS) retryLater(() => void enqueueEventually(services, checked, task, attempt + 1), attempt);
    else await auditQueueFailure(services, checked, task, `revocation could not be queued after ${MAX_ATTEMPTS} attempts; the credential lives until its backend TTL`);
  }
}

/** Queues the backend revocation of dynamic credentials that were minted but never recorded as leases. */
export async function abandonDynamic(services: GatewayServices, checked: CheckedResolve, fetched: Fetched[], cause: string): Promise<void> {
  const tasks = fetched.flatMap((f): RevocationTask[] => {
    const secret = f.secret as Partial<DynamicSecret>;
    if (!f.dynamic || secret.handle === undefined || secret.revocable !== true) return [];
    const { job_id: jobId, tenant, executor } = checked.envelope.payload;
    return [{ leaseId: `unrecorded:${jobId}:${f.alias}`, mount: f.mount, handle: secret.handle as JsonValue, cause, enqueuedAt: services.now(), tenant, jobId, executor }];
  });
  await Promise.all(tasks.map((t) => enqueueEventually(services, checked, t)));
}
