/**
 * `POST /v1/jobs/{id}/complete`: ends the job and revokes all its leases. The job is closed FIRST, in one atomic
 * step; only then are its leases collected. A resolve racing the completion therefore either committed before the
 * close (its leases are in the listing and revoked here) or meets the closed job at its commit (or its dynamic
 * lease write) and is refused and rolled back: once this answers, nothing issued for the job is usable.
 */
import { deny } from '../errors.ts';
import type { Identity } from '../identity/identity.ts';
import { assertJobAccess, type JobFacts } from '../leases/access.ts';
import { revokeLease } from '../leases/revoke_lease.ts';
import type { GatewayServices } from '../services.ts';

export async function completeJob(services: GatewayServices, identity: Identity, jobId: string, facts: JobFacts = {}): Promise<{ revoked: string[]; tenant: string }> {
  const job = await services.state.jobs.get(jobId);
  if (job === undefined) throw deny('not_found', 'lease', 'no such job');
  facts.tenant = job.tenant;
  facts.executor = job.executor;
  assertJobAccess(identity, job);
  await services.state.jobs.complete(jobId, services.now());
  const leases = await services.state.leases.listByJob(jobId);
  const revoked: string[] = [];
  // Each revoke records the backend revocation with the state change; a failure leaves the job closed and the
  // caller retries the (idempotent) completion, which revokes what is still active.
  for (const lease of leases) {
    if (lease.state === 'active' && (await revokeLease(services, lease.leaseId, 'job_completed')) !== undefined) revoked.push(lease.leaseId);
  }
  return { revoked, tenant: job.tenant };
}
