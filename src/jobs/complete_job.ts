/** `POST /v1/jobs/{id}/complete`: ends the job (later resolves and renewals fail) and revokes all its leases. */
import { deny } from '../errors.ts';
import type { Identity } from '../identity/identity.ts';
import { assertJobAccess } from '../leases/access.ts';
import { revokeLease } from '../leases/revoke_lease.ts';
import type { GatewayServices } from '../services.ts';

export async function completeJob(services: GatewayServices, identity: Identity, jobId: string): Promise<{ revoked: string[] }> {
  const job = await services.state.jobs.get(jobId);
  if (job === undefined) throw deny('not_found', 'lease', 'no such job');
  assertJobAccess(identity, job);
  await services.state.jobs.complete(jobId, services.now());
  const leases = await services.state.leases.listByJob(jobId);
  const revoked: string[] = [];
  for (const lease of leases) {
    if (lease.state === 'active' && (await revokeLease(services, lease.leaseId, 'job_completed')) !== undefined) revoked.push(lease.leaseId);
  }
  return { revoked };
}
