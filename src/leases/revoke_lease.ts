/**
 * Ends leases: one (`POST /v1/leases/revoke`), all of a job (completion), or expired ones (the sweeper). The
 * store's revoke records the backend revocation of a dynamic credential in the same atomic step as the state
 * change (src/state/contract.ts LeaseStore.revoke); the revocation worker performs it, from any replica.
 */
import { z } from 'zod';
import type { GatewayServices } from '../services.ts';
import type { LeaseRecord } from '../state/contract.ts';

export const revokeLeaseSchema = z.strictObject({ lease_id: z.string().regex(/^lease_[A-Za-z0-9_-]{16,64}$/) });

/** Whether ending this lease queued a backend revocation (the store did it with the state change). */
export function backendRevocationQueued(lease: LeaseRecord): boolean {
  return lease.handle !== undefined && lease.revocable;
}

/** Revokes one lease; returns the record if this call ended it, undefined if it had already ended. */
export async function revokeLease(services: GatewayServices, leaseId: string, cause: string): Promise<LeaseRecord | undefined> {
  return await services.state.leases.revoke(leaseId, cause);
}
