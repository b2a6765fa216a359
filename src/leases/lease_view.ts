/**
 * The one JSON shape a lease is shown as, wherever an executor sees it: the resolve answer (by value or through
 * the proxy) and the renew answer. Seconds, not milliseconds, on the wire; `lease_duration` is what is left at
 * `now`, never negative. `renewable` is what a renew would accept: the lease is renewable and does not already
 * end with its job (a lease capped at the job end cannot grow, so it is not offered as renewable).
 */
import type { LeaseRecord } from '../state/contract.ts';

export interface LeaseView {
  lease_id: string;
  lease_duration: number;
  renewable: boolean;
  expires_at: number;
}

/** The wire view of a lease at `now` (ms). */
export function leaseView(lease: LeaseRecord, now: number): LeaseView {
  return {
    lease_id: lease.leaseId,
    lease_duration: Math.max(0, Math.floor((lease.expiresAt - now) / 1000)),
    renewable: lease.renewable && lease.expiresAt < lease.jobExpiresAt,
    expires_at: Math.floor(lease.expiresAt / 1000),
  };
}
