/**
 * Issue 15.3 on Redis: ending a lease and queuing its backend revocation are in different Cluster slots, so the
 * revocation is recorded with the state change (job slot) and moved to the queue afterwards. Here Redis is
 * SIGKILLed exactly between the two steps (its append-only file keeps what it acknowledged); after the restart
 * the lease is ended, nothing is on the queue yet, and the sweep's recovery moves the revocation there: it was
 * never lost. Before the fix the two were separate operations and the revocation was gone for good.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { LeaseStore, StateStore } from '../../src/state/contract.ts';
import { RedisKeys } from '../../src/state/redis/keys.ts';
import { createRedisLeases } from '../../src/state/redis/leases.ts';
import type { Arg, RedisCaller } from '../../src/state/redis/script.ts';
import { createRedisStateStore } from '../../src/state/redis/index.ts';
import { RedisServer } from '../helpers/redis_server.ts';
import { newMasterKey, testConfig } from './redis_fixture.ts';
import { sampleJob, sampleLease } from './samples.ts';
import { makeTempFolder } from '../helpers/kit.ts';

describe('redis: a revocation survives Redis dying between the lease change and the queue', function () {
  this.timeout(30_000);
  let server: RedisServer;
  let dir: Awaited<ReturnType<typeof makeTempFolder>>;
  let store: StateStore;
  let raw: Redis;
  let prefix: string;

  before(async () => {
    dir = await makeTempFolder('crefgate-revfault-');
    server = await RedisServer.start(undefined, dir.path);
    const config = testConfig({ url: server.url });
    prefix = config.key_prefix;
    store = await createRedisStateStore(config, { env: { CG_MK1: newMasterKey() } });
    raw = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    raw.on('error', () => undefined);
  });
  after(async () => {
    raw?.disconnect();
    await store?.close();
    await server?.stop();
    await dir.remove();
  });

  /** A lease store whose first queue write kills Redis before it is sent: the crash between the two steps. */
  function dyingBeforeQueue(): LeaseStore {
    let killed = false;
    const caller: RedisCaller = {
      async call(command: string, ...args: Arg[]) {
        if (command === 'XADD' && !killed) {
          killed = true;
          await server.stop();
        }
        return await raw.call(command, ...args);
      },
    };
    return createRedisLeases(caller, new RedisKeys(prefix), (_op, work) => work(), Date.now);
  }

  async function backUp(): Promise<void> {
    await server.restart();
    for (let i = 0; i < 100 && !(await store.health()).ok; i++) await delay(50);
    for (let i = 0; i < 100 && raw.status !== 'ready'; i++) await delay(50);
  }

  for (const how of ['revoke', 'expiry'] as const) {
    it(`keeps the revocation of a ${how === 'revoke' ? 'revoked' : 'expired'} lease pending and the sweep queues it`, async () => {
      const job = sampleJob(Date.now());
      await store.jobs.create(job);
      const lease = sampleLease(job, Date.now(), how === 'revoke' ? 60_000 : -1);
      await store.leases.put([lease]);
      const faulty = dyingBeforeQueue();
      if (how === 'revoke') assert.equal((await faulty.revoke(lease.leaseId, 'job_completed'))?.leaseId, lease.leaseId);
      else assert.deepEqual((await faulty.claimExpired(Date.now(), 10)).map((l) => l.leaseId), [lease.leaseId]);
      await backUp();
      assert.equal((await store.leases.get(lease.leaseId))?.state, how === 'revoke' ? 'revoked' : 'expired');
      assert.equal(await store.revocations.depth(), 0, 'the queue write never happened');
      assert.equal(await store.leases.recoverRevocations(Date.now(), 10), 0, 'not due yet: the ending call normally moves it');
      assert.equal(await store.leases.recoverRevocations(Date.now() + 31_000, 10), 1);
      const [claimed] = await store.revocations.claim('replica-b', 10, 60_000);
      assert.equal(claimed?.task.leaseId, lease.leaseId);
      assert.equal(claimed?.task.cause, how === 'revoke' ? 'job_completed' : 'lease_expired');
      assert.deepEqual(claimed?.task.handle, lease.handle);
      await store.revocations.ack(claimed!.id);
      assert.equal(await store.leases.recoverRevocations(Date.now() + 62_000, 10), 0, 'moved once');
    });
  }
});
