/**
 * Conformance cases: the resolve's atomic commit (nonce consumed + job still open + static leases recorded) and
 * the atomic end of a lease (state change + recorded backend revocation), issues 15.2, 15.3 and 21.1.
 */
import assert from 'node:assert/strict';
import { GatewayError } from '../../src/errors.ts';
import type { LeaseRecord, StateStore } from '../../src/state/contract.ts';
import type { FixtureRef } from './describe_state_store.ts';
import { sampleJob, sampleLease } from './samples.ts';

/** A static lease (no handle) of `job`. */
function staticLease(job: ReturnType<typeof sampleJob>, now: number): LeaseRecord {
  const { handle: _none, ...lease } = sampleLease(job, now, 60_000, { revocable: false, renewable: true });
  return lease;
}

/** As the resolve does it: prepare only where the commit does not write the global indexes itself. */
async function commitWith(store: StateStore, now: number, nonceKey: string, jobId: string, owner: string, leases: LeaseRecord[]) {
  if (!store.nonces.commitIndexesLeases) await store.leases.prepare(leases);
  return await store.nonces.commit({ nonceKey, jobId, owner, retainUntil: now + 60_000, leases });
}

/** Registers the commit cases. */
export function describeCommitCases(fx: FixtureRef): void {
  describe('commit', () => {
    it('consumes the nonce and records the static leases in one step', async () => {
      const { store, now } = fx();
      const job = sampleJob(now());
      await store.jobs.create(job);
      const leases = [staticLease(job, now()), staticLease(job, now())];
      assert.equal(await store.nonces.reserve('c1', job.jobId, 'owner', now() + 60_000), 'reserved');
      assert.equal(await commitWith(store, now(), 'c1', job.jobId, 'owner', leases), 'committed');
      assert.deepEqual((await store.leases.listByJob(job.jobId)).map((l) => l.leaseId).sort(), leases.map((l) => l.leaseId).sort());
      assert.deepEqual(await store.leases.get(leases[0]!.leaseId), leases[0]);
      assert.equal(await store.nonces.reserve('c1', job.jobId, 'replay', now() + 60_000), 'replayed');
      await store.nonces.release('c1', job.jobId, 'owner');
      assert.equal(await store.nonces.reserve('c1', job.jobId, 'replay', now() + 60_000), 'replayed', 'a committed nonce is never released');
    });

    it('indexes the committed leases: another process finds, renews, counts and expires them', async () => {
      const { store, now, peer } = fx();
      const other = await peer(); // its own lease -> job memory: it must find the lease through the store
      const job = sampleJob(now());
      await store.jobs.create(job);
      const lease = staticLease(job, now());
      const short = { ...staticLease(job, now()), expiresAt: now() - 1000 };
      const before = await store.leases.countActive();
      assert.equal(await store.nonces.reserve('c0', job.jobId, 'owner', now() + 60_000), 'reserved');
      assert.equal(await commitWith(store, now(), 'c0', job.jobId, 'owner', [lease, short]), 'committed');
      assert.deepEqual(await other.leases.get(lease.leaseId), lease);
      assert.equal((await other.leases.renew(lease.leaseId, lease.expiresAt + 1000))?.expiresAt, lease.expiresAt + 1000);
      assert.ok((await store.leases.countActive()) >= before + 2, 'both leases are in the expiry index');
      assert.deepEqual((await other.leases.claimExpired(now(), 100)).filter((l) => l.jobId === job.jobId).map((l) => l.leaseId), [short.leaseId]);
      assert.equal((await other.leases.get(short.leaseId))?.state, 'expired');
    });

    it('refuses when the job was completed between reserve and commit, and records nothing', async () => {
      const { store, now, peer } = fx();
      const other = await peer();
      const job = sampleJob(now());
      await store.jobs.create(job);
      const leases = [staticLease(job, now())];
      const indexed = await store.leases.countActive();
      assert.equal(await store.nonces.reserve('c2', job.jobId, 'owner', now() + 60_000), 'reserved');
      await other.jobs.complete(job.jobId, now());
      assert.equal(await commitWith(store, now(), 'c2', job.jobId, 'owner', leases), 'job_completed');
      if (store.nonces.commitIndexesLeases) assert.equal(await store.leases.countActive(), indexed, 'a refused commit leaves no index entry');
      assert.deepEqual(await store.leases.listByJob(job.jobId), []);
      assert.equal(await store.leases.get(leases[0]!.leaseId), undefined);
      assert.equal(await store.leases.renew(leases[0]!.leaseId, now() + 1000), undefined);
    });

    it('refuses an owner that does not hold the reservation, and an unknown job, recording nothing', async () => {
      const { store, now } = fx();
      const job = sampleJob(now());
      await store.jobs.create(job);
      assert.equal(await store.nonces.reserve('c3', job.jobId, 'owner', now() + 60_000), 'reserved');
      assert.equal(await commitWith(store, now(), 'c3', job.jobId, 'intruder', [staticLease(job, now())]), 'not_held');
      assert.equal(await commitWith(store, now(), 'never-reserved', job.jobId, 'owner', [staticLease(job, now())]), 'not_held');
      assert.deepEqual(await store.leases.listByJob(job.jobId), []);
      const ghost = sampleJob(now());
      assert.equal(await commitWith(store, now(), 'c3', ghost.jobId, 'owner', [staticLease(ghost, now())]), 'job_unknown');
      assert.deepEqual(await store.leases.listByJob(ghost.jobId), []);
      assert.equal(await commitWith(store, now(), 'c3', job.jobId, 'owner', []), 'committed', 'the owner still may');
    });

    it('is idempotent for its owner and records the leases once', async () => {
      const { store, now } = fx();
      const job = sampleJob(now());
      await store.jobs.create(job);
      const leases = [staticLease(job, now())];
      assert.equal(await store.nonces.reserve('c4', job.jobId, 'owner', now() + 60_000), 'reserved');
      assert.equal(await commitWith(store, now(), 'c4', job.jobId, 'owner', leases), 'committed');
      assert.equal(await commitWith(store, now(), 'c4', job.jobId, 'owner', leases), 'committed');
      await store.jobs.complete(job.jobId, now());
      assert.equal(await commitWith(store, now(), 'c4', job.jobId, 'owner', leases), 'committed', 'it happened before the completion');
      assert.equal((await store.leases.listByJob(job.jobId)).length, 1);
    });

    it('fails with conflict on an existing lease id and consumes nothing', async () => {
      const { store, now } = fx();
      const job = sampleJob(now());
      await store.jobs.create(job);
      const first = staticLease(job, now());
      await store.leases.put([first]);
      assert.equal(await store.nonces.reserve('c5', job.jobId, 'owner', now() + 60_000), 'reserved');
      await assert.rejects(commitWith(store, now(), 'c5', job.jobId, 'owner', [staticLease(job, now()), first]), (err) => err instanceof GatewayError && err.code === 'conflict');
      assert.equal((await store.leases.listByJob(job.jobId)).length, 1);
      await store.nonces.release('c5', job.jobId, 'owner');
      assert.equal(await store.nonces.reserve('c5', job.jobId, 'retry', now() + 60_000), 'reserved', 'the nonce was not consumed');
    });

    it('refuses to record leases of a completed job (put)', async () => {
      const { store, now } = fx();
      const job = sampleJob(now());
      await store.jobs.create(job);
      await store.jobs.complete(job.jobId, now());
      const lease = sampleLease(job, now());
      await assert.rejects(store.leases.put([lease]), (err) => err instanceof GatewayError && err.code === 'expired' && err.step === 'commit');
      assert.equal(await store.leases.get(lease.leaseId), undefined);
      assert.deepEqual(await store.leases.listByJob(job.jobId), []);
    });
  });

  describe('ending a lease records its backend revocation in the same step', () => {
    it('revoke queues the revocation of a revocable lease, and only of one', async () => {
      const { store, now } = fx();
      const job = sampleJob(now());
      await store.jobs.create(job);
      const dynamic = sampleLease(job, now());
      const sts = sampleLease(job, now(), 60_000, { revocable: false });
      await store.leases.put([dynamic, sts]);
      assert.ok(await store.leases.revoke(dynamic.leaseId, 'job_completed'));
      assert.ok(await store.leases.revoke(sts.leaseId, 'job_completed'));
      assert.equal(await store.leases.revoke(dynamic.leaseId, 'job_completed'), undefined);
      const claimed = await store.revocations.claim('replica-a', 10, 60_000);
      assert.deepEqual(claimed.map((c) => ({ ...c.task, enqueuedAt: 0 })), [{ leaseId: dynamic.leaseId, mount: dynamic.mount, handle: dynamic.handle!, cause: 'job_completed', enqueuedAt: 0, tenant: job.tenant, jobId: job.jobId, executor: job.executor }]);
      assert.equal(await store.leases.recoverRevocations(now() + 3_600_000, 10), 0, 'nothing left pending');
    });

    it('an expiry claim queues the revocation with cause lease_expired', async () => {
      const { store, now } = fx();
      const job = sampleJob(now());
      await store.jobs.create(job);
      const lease = sampleLease(job, now(), -1000);
      await store.leases.put([lease]);
      assert.deepEqual((await store.leases.claimExpired(now(), 10)).map((l) => l.leaseId), [lease.leaseId]);
      const claimed = await store.revocations.claim('replica-a', 10, 60_000);
      assert.equal(claimed.length, 1);
      assert.equal(claimed[0]!.task.cause, 'lease_expired');
      assert.deepEqual(claimed[0]!.task.handle, lease.handle);
    });
  });
}
