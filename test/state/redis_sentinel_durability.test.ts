/**
 * `min_replicas_acked` and the failover window, made deterministic: a master and a replica (own ports); the
 * replica is promoted (REPLICAOF NO ONE, as Sentinel does) while the old master still takes writes, the window
 * of a forced failover. A nonce committed on the old master in that window:
 * - with the option off (0): is acknowledged, and is unknown on the promoted node — the envelope is accepted again;
 * - with the option on (1): the commit fails closed (StateUnavailableError: no replica acknowledged it), so no
 *   secret would have left, and the reservation is released the usual way.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { StateUnavailableError, type StateStore } from '../../src/state/contract.ts';
import { createRedisStateStore } from '../../src/state/redis/index.ts';
import { RedisKeys } from '../../src/state/redis/keys.ts';
import { RedisServer } from '../helpers/redis_server.ts';
import { newMasterKey, testConfig } from './redis_fixture.ts';
import { sampleJob } from './samples.ts';

async function replicate(replica: RedisServer, master: RedisServer): Promise<void> {
  const source = new Redis(master.url);
  const admin = new Redis(replica.url);
  try {
    // Redis 7 waits 5 s before a diskless first sync, for more replicas to join it; there is only this one.
    await source.call('CONFIG', 'SET', 'repl-diskless-sync-delay', '0');
    await admin.call('REPLICAOF', '127.0.0.1', String(master.port));
    // WAIT counts a replica once the master has it `online` (after its first REPLCONF ACK), not at link up.
    while (!String(await source.info('replication')).includes('state=online')) await delay(20);
  } finally {
    source.disconnect();
    admin.disconnect();
  }
}

const offset = async (r: Redis): Promise<number> => Number(/master_repl_offset:(\d+)/.exec(String(await r.info('replication')))?.[1]);

/** Promotes `node` once it has everything `master` has so far (so only what follows is in the window). */
async function promote(node: RedisServer, master: RedisServer): Promise<void> {
  const admin = new Redis(node.url);
  const source = new Redis(master.url);
  try {
    const target = await offset(source);
    while ((await offset(admin)) < target) await delay(10);
    await admin.call('REPLICAOF', 'NO', 'ONE');
  } finally {
    source.disconnect();
    admin.disconnect();
  }
}

describe('redis durability: a commit in the failover window (min_replicas_acked)', function () {
  this.timeout(30_000);
  let master: RedisServer;
  let replica: RedisServer;
  const stores: StateStore[] = [];

  beforeEach(async () => {
    master = await RedisServer.start();
    replica = await RedisServer.start();
    await replicate(replica, master);
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await replica.stop();
    await master.stop();
  });

  async function scenario(acked: number): Promise<{ commit: unknown; afterFailover: string; nonceKey: string }> {
    const env = { CG_MK1: newMasterKey() };
    const config = testConfig({ url: master.url, min_replicas_acked: acked, replica_ack_timeout_ms: 500, command_timeout_ms: 1000 });
    const old = await createRedisStateStore(config, { env });
    stores.push(old);
    const job = sampleJob(Date.now());
    await old.jobs.create(job);
    const retainUntil = Date.now() + 600_000;
    assert.equal(await old.nonces.reserve('n1', job.jobId, 'req-1', retainUntil), 'reserved');
    // The replica has everything so far (the job and the reservation) when it is promoted.
    await promote(replica, master);
    let commit: unknown;
    try {
      commit = await old.nonces.commit({ nonceKey: 'n1', jobId: job.jobId, owner: 'req-1', retainUntil, leases: [] });
    } catch (err) {
      commit = err;
    }
    // The gateway follows the promoted node (as it would through Sentinel).
    const promoted = await createRedisStateStore({ ...config, url: replica.url, min_replicas_acked: 0 }, { env });
    stores.push(promoted);
    const afterFailover = await promoted.nonces.reserve('n1', job.jobId, 'req-2', retainUntil);
    return { commit, afterFailover, nonceKey: new RedisKeys(config.key_prefix).nonce(job.jobId, 'n1') };
  }

  it('off: the committed nonce is lost with the old master and the same envelope is reserved again (the window)', async () => {
    const { commit, afterFailover, nonceKey } = await scenario(0);
    assert.equal(commit, 'committed', 'the old master acknowledged the commit');
    // The promoted node still holds the reservation it had replicated, owned by req-1: a retry of req-1's own
    // envelope after its release would now be granted a second time. Shown directly: the consume never arrived.
    assert.equal(afterFailover, 'replayed');
    const admin = new Redis(replica.url);
    try {
      assert.equal(await admin.call('GET', nonceKey), 'r|req-1', 'still only reserved on the promoted node: the consume was lost');
    } finally {
      admin.disconnect();
    }
  });

  it('fails every guarded write closed on a master without replicas, and refuses a WAIT timeout above the command timeout', async () => {
    const env = { CG_MK1: newMasterKey() };
    const lonely = await RedisServer.start();
    try {
      // The store's own start-up write (its epoch) needs the acknowledgement already: no store at all.
      await assert.rejects(
        createRedisStateStore(testConfig({ url: lonely.url, min_replicas_acked: 1, replica_ack_timeout_ms: 100 }), { env }),
        (err) => err instanceof StateUnavailableError && /0 of 1 replicas acknowledged/.test(err.reason),
      );
    } finally {
      await lonely.stop();
    }
    await assert.rejects(
      createRedisStateStore(testConfig({ url: master.url, min_replicas_acked: 1, replica_ack_timeout_ms: 500, command_timeout_ms: 500 }), { env }),
      (err) => err instanceof StateUnavailableError && /replica_ack_timeout_ms must be below command_timeout_ms/.test(err.reason),
    );
    // Reads are not acknowledged: counters (not guarded) and reads keep working while writes fail closed.
    const store = await createRedisStateStore(testConfig({ url: master.url, min_replicas_acked: 1, replica_ack_timeout_ms: 300, command_timeout_ms: 1000 }), { env });
    stores.push(store);
    await replica.stop();
    const job = sampleJob(Date.now());
    await assert.rejects(store.jobs.create(job), StateUnavailableError);
    assert.equal((await store.counters.increment('c', 60_000, Date.now())).count, 1);
  });

  it('on: the commit fails closed because no replica acknowledged it, so nothing would have been granted', async () => {
    const { commit } = await scenario(1);
    assert.ok(commit instanceof StateUnavailableError, `commit answered ${String(commit)}`);
    assert.match(commit.reason, /0 of 1 replicas acknowledged/);
  });
});
