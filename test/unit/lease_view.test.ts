/** The one wire view of a lease (issue 17.5), shown by resolve (by value and through the proxy) and by renew. */
import assert from 'node:assert/strict';
import { leaseView } from '../../src/leases/lease_view.ts';
import type { LeaseRecord } from '../../src/state/contract.ts';

const lease = (overrides: Partial<LeaseRecord> = {}): LeaseRecord => ({
  leaseId: 'lease_AAAAAAAAAAAAAAAAAAAA', jobId: 'job_1', tenant: 't', executor: 'e', alias: 'db', cref: 'cref://t/db', mount: 'vault',
  issuedAt: 1_000_000, expiresAt: 1_060_999, jobExpiresAt: 1_600_000, renewable: true, revocable: true, state: 'active', renewals: 0,
  handle: { secret: 'never shown' }, ...overrides,
});

describe('leaseView', () => {
  it('shows exactly the id, whole seconds left, renewability and the end in epoch seconds, nothing of the record', () => {
    assert.deepEqual(leaseView(lease(), 1_000_500), { lease_id: 'lease_AAAAAAAAAAAAAAAAAAAA', lease_duration: 60, renewable: true, expires_at: 1060 });
    assert.deepEqual(Object.keys(leaseView(lease(), 0)), ['lease_id', 'lease_duration', 'renewable', 'expires_at'], 'wire member order');
  });

  it('never shows a negative duration for a lease already past its end', () => {
    assert.equal(leaseView(lease(), 2_000_000).lease_duration, 0);
  });

  it('is not renewable when the record says so, or when the lease already ends with its job', () => {
    assert.equal(leaseView(lease({ renewable: false }), 1_000_000).renewable, false);
    assert.equal(leaseView(lease({ expiresAt: 1_600_000 }), 1_000_000).renewable, false, 'capped at the job end');
    assert.equal(leaseView(lease({ expiresAt: 1_599_999 }), 1_000_000).renewable, true);
  });
});
