/**
 * `POST /v1/leases/renew`: extends a lease by `increment` seconds, never past the job's end. A dynamic lease is
 * renewed at the backend first (with the capped increment); the gateway record follows what the backend granted.
 */
import { z } from 'zod';
import { unmatchedBinding } from '../envelope/bindings.ts';
import { deny } from '../errors.ts';
import type { Identity } from '../identity/identity.ts';
import type { JsonValue } from '../json/value.ts';
import type { GatewayServices } from '../services.ts';
import type { JobRecord } from '../state/contract.ts';
import type { JobFacts } from './access.ts';
import { assertJobAccess } from './access.ts';
import { grantedEnd, replaceLease, type RenewOutcome } from './replace_lease.ts';

export const renewLeaseSchema = z.strictObject({
  lease_id: z.string().regex(/^lease_[A-Za-z0-9_-]{16,64}$/),
  increment: z.number().int().min(1).max(7 * 24 * 3600),
});

/** What the caller's audit line learns while a lease is loaded: the job's facts, and which binding failed. */
export type LeaseFacts = JobFacts & { detail?: Record<string, JsonValue> | undefined };

/**
 * Loads a lease and its job, checking ownership; not_found for leases that do not exist. An executor must also
 * still prove what the job is bound to: a workload token of another run or commit (or a certificate, which proves
 * none) cannot renew or revoke a bound job's lease, by the same rule as resolve step 6 (src/envelope/bindings.ts).
 */
export async function loadOwnedLease(services: GatewayServices, identity: Identity, leaseId: string, facts: LeaseFacts = {}) {
  const lease = await services.state.leases.get(leaseId);
  if (lease === undefined) throw deny('not_found', 'lease', 'no such lease');
  // Known from here: a refusal below (another executor's lease, an ended job) is audited with its tenant.
  Object.assign(facts, { tenant: lease.tenant, job_id: lease.jobId, executor: lease.executor });
  const job = await services.state.jobs.get(lease.jobId);
  if (job === undefined) throw deny('expired', 'lease', 'the job of this lease has ended');
  assertJobAccess(identity, job);
  if (identity.role === 'executor') assertHolderBound(identity, job, facts);
  return { lease, job };
}

/** The executor's identity still proves the job's tenant and bindings (a coordinator receives no credential). */
function assertHolderBound(identity: Identity, job: JobRecord, facts: LeaseFacts): void {
  if (identity.tenant !== undefined && identity.tenant !== job.tenant) {
    throw deny('forbidden', 'lease', `identity names tenant ${identity.tenant}, the job belongs to ${job.tenant}`);
  }
  const unmatched = unmatchedBinding(job.bindings, identity);
  if (unmatched === undefined) return;
  facts.detail = { ...facts.detail, binding: unmatched.name, bound: unmatched.bound };
  throw deny('forbidden', 'binding', unmatched.reason);
}

/** Renews a lease; a backend that answers with a replacement credential gets it recorded as a new lease (replace_lease.ts). */
export async function renewLease(services: GatewayServices, identity: Identity, leaseId: string, increment: number, facts: LeaseFacts = {}): Promise<RenewOutcome> {
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
    newExpiresAt = Math.min(grantedEnd(now, result.leaseDuration, lease.jobExpiresAt), capped);
  }
  const updated = await services.state.leases.renew(leaseId, newExpiresAt);
  if (updated === undefined) throw deny('expired', 'lease', 'lease ended while renewing');
  return { lease: updated };
}
