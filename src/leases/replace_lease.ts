/**
 * A renewal the backend answered with a replacement credential (a GitHub installation token lives one hour, so
 * a longer job gets a new one). The replacement is its own lease, recorded before its value leaves (its revoke
 * handle must exist first); then the old lease ends through the store's revoke, which queues the old
 * credential's backend revocation (at-least-once, audited by the revocation worker, cause `lease_replaced`).
 * Exactly one renewal can end the old lease: a concurrent one, or a completion that got there first, makes this
 * one revoke its own replacement and refuse.
 */
import type { RenewResult, SecretPayload } from '../../adapters/contract.ts';
import { randomId } from '../crypto/random.ts';
import { parseCref } from '../envelope/cref.ts';
import { deny } from '../errors.ts';
import type { Identity } from '../identity/identity.ts';
import type { GatewayServices } from '../services.ts';
import type { LeaseRecord } from '../state/contract.ts';
import { revokeLease } from './revoke_lease.ts';

/** What a renewal hands back: the lease now in force, and for a replacement its value and the lease it replaced. */
export interface RenewOutcome {
  lease: LeaseRecord;
  value?: SecretPayload | undefined;
  replaced?: string | undefined;
}

/**
 * The end a backend's grant gives a lease, never past the job. Backends grant whole seconds, and the gateway
 * asked for the whole seconds left to the job, so a grant reaching the job's last second IS the job's end:
 * without this a lease ended a fraction of a second early, stayed "renewable", and the SDK renewed it again and
 * again as the job closed (each time a new GitHub token). The lease may then outlast its credential by under a
 * second, never the other way round.
 */
export function grantedEnd(now: number, leaseDurationSeconds: number, jobExpiresAt: number): number {
  const end = now + leaseDurationSeconds * 1000;
  return end > jobExpiresAt - 1000 ? jobExpiresAt : end;
}

/** Records the replacement, ends the old lease, and returns the new one with its value. */
export async function replaceLease(services: GatewayServices, holder: Identity, old: LeaseRecord, result: RenewResult & { value: SecretPayload }, now: number): Promise<RenewOutcome> {
  const expiresAt = grantedEnd(now, result.leaseDuration, old.jobExpiresAt);
  const replacement: LeaseRecord = {
    ...old,
    leaseId: randomId('lease'),
    issuedAt: now,
    expiresAt,
    renewable: expiresAt < old.jobExpiresAt,
    revocable: true,
    handle: result.handle,
    state: 'active',
    renewals: old.renewals + 1,
  };
  if (holder.role !== 'executor' || holder.id !== old.executor) {
    // A coordinator may extend its jobs' leases, but a credential value is only ever handed to the job's executor.
    await abandon(services, replacement, 'renew_refused');
    throw deny('forbidden', 'lease', 'only the lease\'s executor may receive a replacement credential');
  }
  const cref = parseCref(old.cref);
  if (cref !== undefined && services.router.route(cref)?.proxy !== undefined) {
    // The proxy holds a proxied lease's value in memory under its lease id; handing a replacement to the
    // executor could leak a credential meant never to leave. Fail closed: the lease runs to its current end.
    await abandon(services, replacement, 'renew_refused');
    throw deny('forbidden', 'lease', 'a proxy-deliverable credential cannot be replaced by renewal');
  }
  try {
    await services.state.leases.put([replacement]);
  } catch (err) {
    await abandon(services, replacement, 'renew_aborted');
    throw err;
  }
  if ((await revokeLease(services, old.leaseId, 'lease_replaced')) === undefined) {
    // Someone else ended the old lease meanwhile (completion, revoke, another renewal): this one never happened.
    await revokeLease(services, replacement.leaseId, 'renew_aborted');
    throw deny('expired', 'lease', 'lease ended while renewing');
  }
  return { lease: replacement, value: result.value, replaced: old.leaseId };
}

/** Queues revocation of a replacement no lease record holds (its put failed). */
async function abandon(services: GatewayServices, lease: LeaseRecord, cause: string): Promise<void> {
  if (lease.handle === undefined) return;
  await services.state.revocations
    .enqueue({ leaseId: lease.leaseId, mount: lease.mount, handle: lease.handle, cause, enqueuedAt: services.now() })
    .catch(() => undefined);
}
