/** Conformance cases: jobs and nonce reservation (step 8 of the validation chain). */
import assert from 'node:assert/strict';
import { GatewayError } from '../../src/errors.ts';
import type { FixtureRef } from './describe_state_store.ts';
import { sampleJob } from './samples.ts';

/** Registers the job and nonce cases. */
export function describeJobAndNonceCases(fx: FixtureRef): void {
  /** A commit with no leases: the nonce part of the commit (consume), as the old `consume` was. */
  const commit = async (nonceKey: string, jobId: string, owner: string, retainUntil = fx().now() + 60_000) =>
    await fx().store.nonces.commit({ nonceKey, jobId, owner, retainUntil, leases: [] });
  describe('jobs', () => {
    it('stores, reads and completes a job (complete is idempotent)', async () => {
      const { store, now } = fx();
      const t = now();
      const job = sampleJob(t);
      await store.jobs.create(job);
      assert.deepEqual(await store.jobs.get(job.jobId), job);
      const done = await store.jobs.complete(job.jobId, t + 5);
      assert.equal(done?.completedAt, t + 5);
      const again = await store.jobs.complete(job.jobId, t + 99);
      assert.equal(again?.completedAt, t + 5, 'the first completion time stays');
      assert.equal((await store.jobs.get(job.jobId))?.completedAt, t + 5);
    });

    it('answers undefined for an unknown job', async () => {
      const { store, now } = fx();
      assert.equal(await store.jobs.get('job-unknown'), undefined);
      assert.equal(await store.jobs.complete('job-unknown', now()), undefined);
    });

    it('refuses to create a job twice (it would reopen a completed job)', async () => {
      const { store, now } = fx();
      const job = sampleJob(now());
      await store.jobs.create(job);
      await store.jobs.complete(job.jobId, now());
      await assert.rejects(store.jobs.create(job), (err) => err instanceof GatewayError && err.code === 'conflict');
      assert.notEqual((await store.jobs.get(job.jobId))?.completedAt, undefined);
    });
  });

  describe('nonces', () => {
    it('gives exactly one winner among 200 concurrent reserves', async () => {
      const { store, now } = fx();
      const job = sampleJob(now());
      await store.jobs.create(job);
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, (_, i) => store.nonces.reserve('nonce-race', job.jobId, `req-${i}`, now() + 60_000)),
      );
      assert.equal(outcomes.filter((o) => o === 'reserved').length, 1);
      assert.equal(outcomes.filter((o) => o === 'replayed').length, 199);
    });

    it('refuses a reservation for an unknown or completed job', async () => {
      const { store, now } = fx();
      assert.equal(await store.nonces.reserve('n-unknown', 'job-nope', 'req', now() + 60_000), 'job_unknown');
      const job = sampleJob(now());
      await store.jobs.create(job);
      await store.jobs.complete(job.jobId, now());
      assert.equal(await store.nonces.reserve('n-done', job.jobId, 'req', now() + 60_000), 'job_completed');
      // Neither refusal burned the nonce.
      const open = sampleJob(now());
      await store.jobs.create(open);
      assert.equal(await store.nonces.reserve('n-unknown', open.jobId, 'req', now() + 60_000), 'reserved');
    });

    it('lets only the owner consume, and a consumed nonce stays burned', async () => {
      const { store, now } = fx();
      const job = sampleJob(now());
      await store.jobs.create(job);
      assert.equal(await store.nonces.reserve('n1', job.jobId, 'owner', now() + 60_000), 'reserved');
      assert.equal((await commit('n1', job.jobId, 'intruder')) === 'committed', false);
      assert.equal((await commit('n1', job.jobId, 'owner')) === 'committed', true);
      await store.nonces.release('n1', job.jobId, 'owner');
      assert.equal(await store.nonces.reserve('n1', job.jobId, 'retry', now() + 60_000), 'replayed');
      assert.equal((await commit('never-reserved', job.jobId, 'owner')) === 'committed', false);
    });

    it('lets only the owner release, and a released nonce can be reserved again', async () => {
      const { store, now } = fx();
      const job = sampleJob(now());
      await store.jobs.create(job);
      assert.equal(await store.nonces.reserve('n2', job.jobId, 'first', now() + 60_000), 'reserved');
      await store.nonces.release('n2', job.jobId, 'intruder');
      assert.equal(await store.nonces.reserve('n2', job.jobId, 'other', now() + 60_000), 'replayed');
      await store.nonces.release('n2', job.jobId, 'first');
      assert.equal(await store.nonces.reserve('n2', job.jobId, 'second', now() + 60_000), 'reserved');
      assert.equal((await commit('n2', job.jobId, 'first')) === 'committed', false, 'the old owner lost it');
      assert.equal((await commit('n2', job.jobId, 'second')) === 'committed', true);
    });

    it('reverts a consumption only for its owner (a commit whose answer was lost), never by a plain release', async () => {
      const { store, now } = fx();
      const job = sampleJob(now());
      await store.jobs.create(job);
      assert.equal(await store.nonces.reserve('n4', job.jobId, 'owner', now() + 60_000), 'reserved');
      assert.equal((await commit('n4', job.jobId, 'owner')) === 'committed', true);
      await store.nonces.release('n4', job.jobId, 'owner');
      await store.nonces.revertConsume('n4', job.jobId, 'intruder');
      assert.equal(await store.nonces.reserve('n4', job.jobId, 'probe', now() + 60_000), 'replayed', 'still burned');
      await store.nonces.revertConsume('n4', job.jobId, 'owner');
      assert.equal(await store.nonces.reserve('n4', job.jobId, 'retry', now() + 60_000), 'reserved', 'the unsent commit is undone');
      await store.nonces.revertConsume('n4', job.jobId, 'retry');
      assert.equal(await store.nonces.reserve('n4', job.jobId, 'again', now() + 60_000), 'reserved', 'a plain reservation is dropped too');
    });

    it('forgets a nonce after its expiry', async function () {
      this.timeout(10_000);
      const { store, now, advance } = fx();
      const job = sampleJob(now());
      await store.jobs.create(job);
      const retainUntil = now() + 1000;
      assert.equal(await store.nonces.reserve('n3', job.jobId, 'a', retainUntil), 'reserved');
      assert.equal(await commit('n3', job.jobId, 'a', retainUntil), 'committed');
      await advance(400);
      assert.equal(await store.nonces.reserve('n3', job.jobId, 'b', now() + 1000), 'replayed');
      await advance(800);
      assert.equal(await store.nonces.reserve('n3', job.jobId, 'c', now() + 1000), 'reserved');
    });

    it('shares reservations between replicas', async () => {
      const { store, now, peer } = fx();
      const other = await peer();
      const job = sampleJob(now());
      await store.jobs.create(job);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 === 0 ? store : other).nonces.reserve('n-peer', job.jobId, `r${i}`, now() + 60_000),
        ),
      );
      assert.equal(results.filter((r) => r === 'reserved').length, 1);
      await other.jobs.complete(job.jobId, now());
      assert.equal(await store.nonces.reserve('n-peer-2', job.jobId, 'x', now() + 60_000), 'job_completed');
    });
  });
}
