/** The in-memory state store: the conformance suite with a frozen clock, plus memory-only retention cases. */
import assert from 'node:assert/strict';
import { createMemoryStateStore } from '../../src/state/memory/index.ts';
import { JOB_RETENTION_SLACK_MS } from '../../src/state/retention.ts';
import { describeStateStore } from './describe_state_store.ts';
import { sampleJob, sampleLease } from './samples.ts';

/** A manual clock starting at a fixed instant. */
function manualClock(): { now: () => number; advance: (ms: number) => Promise<void> } {
  let t = 1_763_870_000_000;
  return { now: () => t, advance: async (ms) => void (t += ms) };
}

describeStateStore('memory', async () => {
  const clock = manualClock();
  const store = createMemoryStateStore({ now: clock.now });
  return { store, now: clock.now, advance: clock.advance, peer: async () => store, close: () => store.close() };
});

describe('memory state store: retention', () => {
  it('keeps a job and its leases until expiresAt + 1 h, then forgets them', async () => {
    const clock = manualClock();
    const store = createMemoryStateStore({ now: clock.now });
    const job = sampleJob(clock.now(), 60_000);
    await store.jobs.create(job);
    const lease = sampleLease(job, clock.now(), 60_000);
    await store.leases.put([lease]);
    await store.leases.revoke(lease.leaseId, 'lease_revoked');
    await clock.advance(60_000 + JOB_RETENTION_SLACK_MS - 1);
    assert.ok(await store.jobs.get(job.jobId));
    assert.equal((await store.leases.get(lease.leaseId))?.state, 'revoked');
    await clock.advance(1);
    assert.equal(await store.jobs.get(job.jobId), undefined);
    await store.leases.claimExpired(clock.now(), 1);
    assert.equal(await store.leases.get(lease.leaseId), undefined);
    assert.equal(await store.nonces.reserve('n', job.jobId, 'o', clock.now() + 1000), 'job_unknown');
  });

  it('reports itself unhealthy once closed', async () => {
    const store = createMemoryStateStore();
    assert.deepEqual(await store.health(), { ok: true });
    await store.close();
    assert.equal((await store.health()).ok, false);
  });
});
