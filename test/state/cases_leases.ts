/** Conformance cases: lease records, their indexes, and the atomic renew / revoke / expiry sweep. */
import assert from 'node:assert/strict';
import { GatewayError } from '../../src/errors.ts';
import type { LeaseRecord } from '../../src/state/contract.ts';
import type { FixtureRef } from './describe_state_store.ts';
import { sampleJob, sampleLease } from './samples.ts';

const byId = (a: LeaseRecord, b: LeaseRecord): number => a.leaseId.localeCompare(b.leaseId);

/** Registers the lease cases. */
export function describeLeaseCases(fx: FixtureRef): void {
  describe('leases', () => {
    it('puts, gets and lists leases by job', async () => {
      const { store, now } = fx();
      const job = sampleJob(now());
      const other = sampleJob(now());
      const { handle: _static, ...withoutHandle } = sampleLease(job, now(), 30_000, { revocable: false });
      const leases = [sampleLease(job, now()), withoutHandle];
      await store.leases.put(leases);
      await store.leases.put([sampleLease(other, now())]);
      assert.deepEqual(await store.leases.get(leases[0]!.leaseId), leases[0]);
      assert.deepEqual((await store.leases.listByJob(job.jobId)).sort(byId), [...leases].sort(byId));
      assert.equal(await store.leases.get('lease-unknown'), undefined);
      assert.deepEqual(await store.leases.listByJob('job-unknown'), []);
      assert.equal(await store.leases.countActive(), 3);
    });

    it('stores a batch all or none', async () => {
      const { store, now } = fx();
      const job = sampleJob(now());
      const first = sampleLease(job, now());
      await store.leases.put([first]);
      const fresh = sampleLease(job, now());
      await assert.rejects(store.leases.put([fresh, { ...first }]), (err) => err instanceof GatewayError && err.code === 'conflict');
      assert.equal(await store.leases.get(fresh.leaseId), undefined);
      assert.equal((await store.leases.listByJob(job.jobId)).length, 1);
    });

    it('renews an active lease, never a revoked or ended one', async () => {
      const { store, now, advance } = fx();
      const job = sampleJob(now());
      const lease = sampleLease(job, now(), 60_000);
      const short = sampleLease(job, now(), 100);
      await store.leases.put([lease, short]);
      const newEnd = now() + 120_000;
      const renewed = await store.leases.renew(lease.leaseId, newEnd);
      assert.equal(renewed?.expiresAt, newEnd);
      assert.equal(renewed?.renewals, 1);
      assert.equal(renewed?.state, 'active');
      assert.equal((await store.leases.get(lease.leaseId))?.expiresAt, newEnd);
      await store.leases.revoke(lease.leaseId, 'lease_revoked');
      assert.equal(await store.leases.renew(lease.leaseId, now() + 200_000), undefined);
      assert.equal(await store.leases.renew('lease-unknown', now() + 1), undefined);
      await advance(150);
      assert.equal(await store.leases.renew(short.leaseId, now() + 60_000), undefined, 'past its end: not renewable');
    });

    it('revokes once: exactly one of many concurrent callers gets the record', async () => {
      const { store, now, peer } = fx();
      const other = await peer();
      const job = sampleJob(now());
      const lease = sampleLease(job, now());
      await store.leases.put([lease]);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : other).leases.revoke(lease.leaseId, 'lease_revoked')),
      );
      const winners = results.filter((r) => r !== undefined);
      assert.equal(winners.length, 1);
      assert.deepEqual(winners[0], lease, 'the record as it was');
      assert.equal((await store.leases.get(lease.leaseId))?.state, 'revoked');
      assert.equal(await store.leases.revoke(lease.leaseId, 'lease_revoked'), undefined);
      assert.equal(await store.leases.countActive(), 0);
    });

    it('claims expired leases up to the limit, oldest first, and only active ones', async () => {
      const { store, now } = fx();
      const t = now();
      const job = sampleJob(t);
      const leases = [1, 2, 3, 4].map((i) => sampleLease(job, t, -i * 1000));
      const revoked = sampleLease(job, t, -10_000);
      const alive = sampleLease(job, t, 60_000);
      await store.leases.put([...leases, revoked, alive]);
      await store.leases.revoke(revoked.leaseId, 'lease_revoked');
      const firstTwo = await store.leases.claimExpired(t, 2);
      assert.deepEqual(firstTwo.map((l) => l.leaseId), [leases[3]!.leaseId, leases[2]!.leaseId]);
      assert.ok(firstTwo.every((l) => l.state === 'expired'));
      const rest = await store.leases.claimExpired(t, 10);
      assert.deepEqual(rest.map((l) => l.leaseId), [leases[1]!.leaseId, leases[0]!.leaseId]);
      assert.deepEqual(await store.leases.claimExpired(t, 10), []);
      assert.equal((await store.leases.get(leases[0]!.leaseId))?.state, 'expired');
      assert.equal(await store.leases.countActive(), 1);
    });

    it('hands each expired lease to exactly one of many concurrent sweepers', async () => {
      const { store, now, peer } = fx();
      const other = await peer();
      const t = now();
      const job = sampleJob(t);
      const leases = Array.from({ length: 40 }, (_, i) => sampleLease(job, t, -1 - i));
      await store.leases.put(leases);
      const batches = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? store : other).leases.claimExpired(t, 7)),
      );
      const claimed = batches.flat().map((l) => l.leaseId);
      assert.equal(new Set(claimed).size, claimed.length, 'no lease claimed twice');
      const remaining = await store.leases.claimExpired(t, 100);
      assert.equal(claimed.length + remaining.length, 40);
    });

    it('sweeps a renewed lease at its new end, not its old one', async () => {
      const { store, now } = fx();
      const t = now();
      const job = sampleJob(t);
      const lease = sampleLease(job, t, 1000);
      await store.leases.put([lease]);
      await store.leases.renew(lease.leaseId, t + 60_000);
      assert.deepEqual(await store.leases.claimExpired(t + 2000, 10), []);
      const swept = await store.leases.claimExpired(t + 60_000, 10);
      assert.deepEqual(swept.map((l) => l.leaseId), [lease.leaseId]);
    });
  });
}
