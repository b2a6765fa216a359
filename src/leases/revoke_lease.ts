/**
 * Ends leases: one (`POST /v1/leases/revoke`), all of a job (completion), or expired ones (the sweeper).
 * Backend revocation of dynamic credentials is recorded in the durable queue first and performed by the
 * revocation worker, so it survives the death of this replica.
 */
import { z } from 'zod';
import type { GatewayServices } from '../services.ts';
import type { LeaseRecord } from '../state/contract.ts';

export const revokeLeaseSchema = z.strictObject({ lease_id: z.string().regex(/^lease_[A-Za-z0-9_-]{16,64}$/) });

/** Queues the backend revocation for a lease this call has just ended, when the backend can revoke it. */
export async function queueBackendRevocation(services: GatewayServices, lease: LeaseRecord, cause: string): Promise<boolean> {
  if (lease.handle === undefined || !lease.revocable) return false;
  await services.state.revocations.enqueue({ leaseId: lease.leaseId, mount: lease.mount, handle: lease.handle, cause, enqueuedAt: services.now() });
  return true;
}

/** Revokes one lease; returns the record if this call ended it, undefined if it had already ended. */
export async function revokeLease(services: GatewayServices, leaseId: string, cause: string): Promise<LeaseRecord | undefined> {
  const ended = await services.state.leases.revoke(leaseId);
  if (ended !== undefined) await queueBackendRevocation(services, ended, cause);
  return ended;
}
