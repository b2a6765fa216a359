/**
 * Fail closed and recover: on its OWN redis-server (never the shared one), the store answers
 * StateUnavailableError within about a second when Redis is down or hangs, and works again once Redis is back,
 * with the same store object.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { StateUnavailableError, type StateStore } from '../../src/state/contract.ts';
import { createRedisStateStore } from '../../src/state/redis/index.ts';
import { RedisServer } from '../helpers/redis_server.ts';
import { newMasterKey, testConfig } from './redis_fixture.ts';
import { sampleExecutor, sampleJob } from './samples.ts';

const BOUND_MS = 1200;

/** Asserts that `op` rejects with StateUnavailableError within BOUND_MS. */
async function failsFast(op: () => Promise<unknown>, what: string): Promise<void> {
  const started = Date.now();
  await assert.rejects(op(), (err) => err instanceof StateUnavailableError && err.code === 'unavailable', what);
  const took = Date.now() - started;
  assert.ok(took < BOUND_MS, `${what} took ${took} ms`);
}

async function waitHealthy(store: StateStore, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if ((await store.health()).ok) return;
    await delay(50);
  }
  assert.fail(`store did not recover within ${withinMs} ms`);
}

describe('redis state store: fail closed and recover', function () {
  this.timeout(30_000);
  let server: RedisServer;
  let store: StateStore;

  beforeEach(async () => {
    server = await RedisServer.start();
    store = await createRedisStateStore(testConfig({ url: server.url, command_timeout_ms: 200 }), { env: { CG_MK1: newMasterKey() } });
  });
  afterEach(async () => {
    await store.close();
    await server.stop();
  });

  it('answers unavailable within a bounded time while Redis is down, then recovers by itself', async () => {
    const job = sampleJob(Date.now());
    await store.jobs.create(job);
    assert.equal((await store.health()).ok, true);
    await server.stop();

    await failsFast(() => store.nonces.reserve('n-down', job.jobId, 'req', Date.now() + 60_000), 'reserve');
    await failsFast(() => store.executors.get('exec-x'), 'executors.get');
    await failsFast(() => store.leases.claimExpired(Date.now(), 10), 'claimExpired');
    await failsFast(() => store.revocations.claim('replica-a', 10, 1000), 'revocations.claim');
    const health = await store.health();
    assert.equal(health.ok, false);
    assert.ok(health.detail !== undefined && health.detail.length > 0);

    await server.restart();
    await waitHealthy(store, 10_000);
    // The restarted server has no persistence: the job is gone, and the queue's consumer group is recreated.
    assert.equal(await store.nonces.reserve('n-down', job.jobId, 'req', Date.now() + 60_000), 'job_unknown');
    const again = sampleJob(Date.now());
    await store.jobs.create(again);
    assert.equal(await store.nonces.reserve('n-up', again.jobId, 'req', Date.now() + 60_000), 'reserved');
    await store.revocations.enqueue({ leaseId: 'l', mount: 'm', handle: null, cause: 'lease_revoked', enqueuedAt: Date.now() });
    assert.equal((await store.revocations.claim('replica-a', 10, 1000)).length, 1);
    const record = sampleExecutor(Date.now());
    assert.equal(await store.executors.register(record), true);
  });

  it('answers unavailable when Redis hangs instead of waiting for it', async () => {
    const admin = new Redis(server.url);
    try {
      const job = sampleJob(Date.now());
      await store.jobs.create(job);
      // The server stops answering every client for 1.5 s, as a stalled primary would.
      await admin.call('CLIENT', 'PAUSE', 1500, 'ALL');
      await failsFast(() => store.nonces.reserve('n-hang', job.jobId, 'req', Date.now() + 60_000), 'reserve while hung');
      await failsFast(() => store.jobs.get(job.jobId), 'get while hung');
      await delay(1600);
      await waitHealthy(store, 5000);
      assert.equal((await store.jobs.get(job.jobId))?.jobId, job.jobId);
    } finally {
      admin.disconnect();
    }
  });

  it('refuses to start when Redis is unreachable, within the connect timeout', async () => {
    await server.stop();
    const started = Date.now();
    await assert.rejects(
      createRedisStateStore(testConfig({ url: server.url, connect_timeout_ms: 300 }), { env: { CG_MK1: newMasterKey() } }),
      StateUnavailableError,
    );
    assert.ok(Date.now() - started < 2000);
  });
});
