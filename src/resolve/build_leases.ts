/**
 * One lease per resolved cref, bounded by the job's end. A static secret's lease lasts the configured static
 * lease length (renewable up to the job end); a dynamic one what the backend granted, capped at the job end.
 */
import type { JsonValue } from '../json/value.ts';
import type { CheckedResolve } from '../chain/context.ts';
import { randomId } from '../crypto/random.ts';
import type { LeaseRecord } from '../state/contract.ts';
import type { Fetched } from './fetch_secrets.ts';

export function buildLeases(checked: CheckedResolve, fetched: Fetched[], staticLeaseSeconds: number): LeaseRecord[] {
  const payload = checked.envelope.payload;
  const jobEnd = payload.expires_at * 1000;
  return fetched.map((f) => {
    const dynamic = 'handle' in f.secret ? f.secret : undefined;
    const wanted = checked.now + (dynamic === undefined ? staticLeaseSeconds : dynamic.leaseDuration) * 1000;
    const expiresAt = Math.min(wanted, jobEnd);
    return {
      leaseId: randomId('lease'),
      jobId: payload.job_id,
      tenant: payload.tenant,
      executor: payload.executor,
      alias: f.alias,
      cref: f.cref,
      mount: f.mount,
      issuedAt: checked.now,
      expiresAt,
      jobExpiresAt: jobEnd,
      renewable: expiresAt < jobEnd && (dynamic === undefined || dynamic.renewable),
      revocable: dynamic?.revocable ?? false,
      handle: dynamic?.handle as JsonValue | undefined,
      state: 'active',
      renewals: 0,
    };
  });
}
