/**
 * `POST /v1/leases/renew`: extends a lease by `increment` seconds, never past the job's end. A dynamic lease is
 * renewed at the backend first (with the capped increment); the gateway record follows what the backend granted.
 */
import { z } from 'zod';
import { deny } from '../errors.ts';
import type { Identity } from '../identity/identity.ts';
import type { GatewayServices } from '../services.ts';
import type { JobFacts } from './access.ts';
import { assertJobAccess } from './access.ts';
import { replaceLease, type RenewOutcome } from './replace_lease.ts';

export const renewLeaseSchema = z.strictObject({
  lease_id: z.string().regex(/^lease_[A-Za-z0-9_-]{16,64}$/),
  increment: z.number().int().min(1).max(7 * 24 * 3600),
});

/** Loads a lease and its job, checking ownership; not_found for leases that do not exist. */
export async function loadOwnedLease(services: GatewayServices, identity: Identity, leaseId: string, facts: JobFacts = {}) {
  const lease = await services.state.leases.get(leaseId);
  if (lease === undefined) throw deny('not_found', 'lease', 'no such lease');
  // Known from here: a refusal below (another executor's lease, an ended job) is audited with its tenant.
  Object.assign(facts, { tenant: lease.tenant, job_id: lease.jobId, executor: lease.executor });
  const job = await services.state.jobs.get(lease.jobId);
  if (job === undefined) throw deny('expired', 'lease', 'the job of this lease has ended');
  assertJobAccess(identity, job);
  return { lease, job };
}

/** Renews a lease; a backend that answers with a replacement credential gets it recorded as a new lease (replace_lease.ts). */
export async function renewLease(services: GatewayServices, identity: Identity, leaseId: string, increment: number, facts: JobFacts = {}): Promise<RenewOutcome> {
  const { lease, job } = await loadOwnedLease(services, identity, leaseId, facts);
  const now = services.now();
  if (job.completedAt !== undefined) throw deny('expired', 'lease', 'the job was completed');
  if (lease.state !== 'active' || lease.expiresAt <= now) throw deny('expired', 'lease', `lease is ${lease.state === 'active' ? 'expired' : lease.state}`);
  if (!lease.renewable) throw deny('forbidden', 'lease', 'lease is not renewable');
  if (lease.expiresAt >= lease.jobExpiresAt) throw deny('forbidden', 'lease', 'lease already ends with the job');
  const capped = Math.min(now + increment * 1000, lease.jobExpiresAt);
  let newExpiresAt = capped;
  if (lease.handle !== undefined) {
    const adapter = services.mounts.get(lease.mount);
    if (adapter.renew === undefined) throw deny('forbidden', 'lease', 'the backend cannot renew this credential');
    const seconds = Math.max(1, Math.floor((capped - now) / 1000));
    const result = await adapter.renew({ handle: lease.handle, incrementSeconds: seconds, signal: AbortSignal.timeout(30_000) });
    if (result.value !== undefined) return await replaceLease(services, identity, lease, { ...result, value: result.value }, now);
    newExpiresAt = Math.min(now + result.leaseDuration * 1000, capped);
  }
  const updated = await services.state.leases.renew(leaseId, newExpiresAt);
  if (updated === undefined) throw deny('expired', 'lease', 'lease ended while renewing');
  return { lease: updated };
}
