/**
 * Ends leases whose time is up. Runs on every replica; the store's `claimExpired` hands each lease to exactly
 * one of them and records its backend revocation in the same atomic step; this replica audits the expiry. Each
 * pass also moves revocations that a dead process left recorded but not queued (`recoverRevocations`).
 */
import type { GatewayServices } from '../services.ts';
import { leaseSubject } from './lease_audit.ts';
import { backendRevocationQueued } from './revoke_lease.ts';

const BATCH = 100;

/** One sweep; returns how many leases it ended. */
export async function sweepExpiredLeases(services: GatewayServices): Promise<number> {
  const expired = await services.state.leases.claimExpired(services.now(), BATCH);
  for (const lease of expired) {
    await services.audit.record({
      action: 'lease.expire',
      outcome: 'ok',
      actor: { type: 'system', id: services.replica, auth: 'system' },
      ...leaseSubject(lease),
      detail: { backend_revocation: backendRevocationQueued(lease) },
    });
  }
  await services.state.leases.recoverRevocations(services.now(), BATCH);
  return expired.length;
}
