/**
 * A real three-master Redis Cluster under load, with `min_replicas_acked: 1`: two store replicas race to reserve
 * and commit each nonce of one job while (a) the job's slot is migrated to another master (ASK during the move,
 * MOVED after it), (b) that slot's master is failed over to its replica (CLUSTER FAILOVER) and (c) that master is
 * SIGKILLed and comes back as a replica. A wiped master is noticed by the store epoch (last case). Every operation
 * either answers or fails closed (StateUnavailableError, retried as the gateway does: release / revert first);
 * each nonce is committed exactly once, and after the move or failover every one of them is refused as replayed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { StateUnavailableError, type StateStore } from '../../src/state/contract.ts';
import { RedisKeys } from '../../src/state/redis/keys.ts';
import { createRedisStateStore } from '../../src/state/redis/index.ts';
import { RedisClusterDeployment } from '../helpers/redis_cluster.ts';
import { newMasterKey, testConfig } from './redis_fixture.ts';
import { sampleJob } from './samples.ts';

const NONCES = 150;
const RETAIN_MS = 10 * 60_000;

/** Retries `op` while it fails closed; any other error fails the test. */
async function closedOrAnswer<T>(op: () => Promise<T>, deadline: number): Promise<T> {
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (!(err instanceof StateUnavailableError) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * One racer's attempt at nonce `n`, as the resolve path does it: reserve; on an unknown outcome release (owner-
 * checked) and try again; commit; on an unknown commit revert (owner-checked) and start over. True if it committed.
 */
async function race(store: StateStore, jobId: string, nonce: string, owner: string): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    let reserved: string;
    try {
      reserved = await store.nonces.reserve(nonce, jobId, owner, Date.now() + RETAIN_MS);
    } catch (err) {
      if (!(err instanceof StateUnavailableError)) throw err;
      await closedOrAnswer(() => store.nonces.release(nonce, jobId, owner), deadline);
      continue;
    }
    if (reserved !== 'reserved') return false;
    try {
      const outcome = await store.nonces.commit({ nonceKey: nonce, jobId, owner, retainUntil: Date.now() + RETAIN_MS, leases: [] });
      assert.equal(outcome, 'committed');
      return true;
    } catch (err) {
      if (!(err instanceof StateUnavailableError)) throw err;
      await closedOrAnswer(() => store.nonces.revertConsume(nonce, jobId, owner), deadline);
    }
  }
}

describe('redis cluster (3 masters + 3 replicas): slot migration and master failover under load', function () {
  this.timeout(60_000);
  let cluster: RedisClusterDeployment | undefined;
  const stores: StateStore[] = [];
  let keys: RedisKeys;

  before(async () => {
    cluster = await RedisClusterDeployment.start();
    const config = testConfig({ url: undefined, cluster: { nodes: cluster.seeds }, min_replicas_acked: 1, replica_ack_timeout_ms: 250, command_timeout_ms: 500 });
    keys = new RedisKeys(config.key_prefix);
    const env = { CG_MK1: newMasterKey() };
    stores.push(await createRedisStateStore(config, { env }), await createRedisStateStore(config, { env }));
  });
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await cluster?.stop();
  });

  /** Runs the race on NONCES nonces of a fresh job while `disturb` runs; returns the job and its nonces. */
  async function underLoad(disturb: (slot: number) => Promise<void>): Promise<{ jobId: string; nonces: string[] }> {
    const [a, b] = stores as [StateStore, StateStore];
    const job = sampleJob(Date.now());
    await a.jobs.create(job);
    const slot = await cluster!.slotOf(keys.job(job.jobId));
    const nonces = Array.from({ length: NONCES }, () => randomBytes(8).toString('hex'));
    const commits = new Map<string, number>();
    let started = false;
    const disturbance = (async () => {
      while (!started) await new Promise((r) => setTimeout(r, 5));
      await disturb(slot);
    })();
    for (let i = 0; i < nonces.length; i += 10) {
      started ||= i >= 20;
      await Promise.all(nonces.slice(i, i + 10).map(async (n) => {
        const won = await Promise.all([race(a, job.jobId, n, `a-${n}`), race(b, job.jobId, n, `b-${n}`)]);
        commits.set(n, won.filter(Boolean).length);
      }));
      await new Promise((r) => setTimeout(r, 20));
    }
    await disturbance;
    for (const n of nonces) assert.equal(commits.get(n), 1, `nonce ${n} committed exactly once`);
    return { jobId: job.jobId, nonces };
  }

  async function allReplayed(jobId: string, nonces: string[]): Promise<void> {
    for (const n of nonces) {
      const outcome = await closedOrAnswer(() => stores[1]!.nonces.reserve(n, jobId, 'late', Date.now() + RETAIN_MS), Date.now() + 10_000);
      assert.equal(outcome, 'replayed', `nonce ${n} accepted again`);
    }
  }

  it('follows a slot migration (ASK, then MOVED) with exactly-once commits', async () => {
    let moved: { from: number; to: number } | undefined;
    const { jobId, nonces } = await underLoad(async (slot) => {
      moved = await cluster!.migrateSlot(slot, 100);
    });
    assert.ok(moved !== undefined && moved.from !== moved.to);
    const slot = await cluster!.slotOf(keys.job(jobId));
    assert.equal((await cluster!.ownerOf(slot)).port, moved.to, 'the job slot lives on the new master');
    await allReplayed(jobId, nonces);
  });

  it('follows a master failover (CLUSTER FAILOVER) with exactly-once commits, and keeps every burned nonce', async () => {
    let switched: { from: number; to: number } | undefined;
    const { jobId, nonces } = await underLoad(async (slot) => {
      switched = await cluster!.failover((await cluster!.ownerOf(slot)).port);
    });
    assert.ok(switched !== undefined);
    const slot = await cluster!.slotOf(keys.job(jobId));
    assert.equal((await cluster!.ownerOf(slot)).port, switched.to, 'the promoted replica serves the slot');
    await allReplayed(jobId, nonces);
  });

  it('follows the crash of a master (SIGKILL; its replica takes over, it comes back as a replica), exactly once', async () => {
    let killed = 0;
    const { jobId, nonces } = await underLoad(async (slot) => {
      killed = (await cluster!.ownerOf(slot)).port;
      await cluster!.kill(killed);
      // The replica is promoted after cluster-node-timeout (1 s); with min_replicas_acked 1 the shard's writes
      // fail closed until the old master is back as the new master's replica.
      await new Promise((r) => setTimeout(r, 3000));
      await cluster!.restart(killed);
      await cluster!.settle(20_000);
    });
    const slot = await cluster!.slotOf(keys.job(jobId));
    assert.notEqual((await cluster!.ownerOf(slot)).port, killed, 'the promoted replica serves the slot');
    await allReplayed(jobId, nonces);
  });

  // Last: it wipes a master, which every store of this file notices.
  it('notices a wiped master that does not hold the {epoch} slot: 503 instead of "unknown"', async () => {
    const config = testConfig({ url: undefined, cluster: { nodes: cluster!.seeds }, epoch_check_interval_ms: 200, epoch_loss_hold_ms: 60_000 });
    const store = await createRedisStateStore(config, { env: { CG_MK1: newMasterKey() } });
    stores.push(store);
    const job = sampleJob(Date.now());
    await store.jobs.create(job);
    const epochOwner = await cluster!.ownerOf(await cluster!.slotOf(`${config.key_prefix}{epoch}:id`));
    const jobOwner = await cluster!.ownerOf(await cluster!.slotOf(new RedisKeys(config.key_prefix).job(job.jobId)));
    const masters = await cluster!.masters();
    // Wipe the job's master if it is not the epoch's, else another one (then the job survives: only the key check counts).
    const victim = jobOwner.port !== epochOwner.port ? jobOwner.port : masters.find((m) => m.port !== epochOwner.port)!.port;
    const admin = new Redis(victim, '127.0.0.1');
    try {
      await admin.call('FLUSHALL');
    } finally {
      admin.disconnect();
    }
    await assert.rejects(store.jobs.get(`job-never-${randomBytes(4).toString('hex')}`), StateUnavailableError, 'an unknown job is not trusted on a wiped cluster');
    assert.equal((await store.health()).ok, false);
  });
});
