/**
 * `node bench/redis_durability.ts [--ops 20000] [--concurrency 32]`: the cost of `state.redis.min_replicas_acked`.
 * A private master and one replica on loopback (own ports), the Redis state store with the option at 0 and at 1,
 * and the state work of one resolve (reserve + commit of a nonce) run `--ops` times at `--concurrency`:
 * resolves' state work per second and p50/p99 latency of the pair. Loopback replication is the best case; on a
 * network add about one round trip to the replica per write (WAIT waits for the replica's ack).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { numberFlag, parseFlags } from '../src/cli/flags.ts';
import type { StateStore } from '../src/state/contract.ts';
import { createRedisStateStore } from '../src/state/redis/index.ts';
import { RedisServer } from '../test/helpers/redis_server.ts';

const BENCH = { name: 'node bench/redis_durability.ts', usage: 'node bench/redis_durability.ts [--ops 20000] [--concurrency 32]' };
const { values: flags } = parseFlags({ ...BENCH, options: { ops: { type: 'string', default: '20000' }, concurrency: { type: 'string', default: '32' } } });
const ops = numberFlag(BENCH, '--ops', flags.ops, 1);
const concurrency = numberFlag(BENCH, '--concurrency', flags.concurrency, 1);

async function measure(store: StateStore): Promise<{ perSecond: number; p50: number; p99: number }> {
  const job = { jobId: `job-${randomBytes(6).toString('hex')}`, tenant: 't', executor: 'e', coordinator: 'c', crefs: {}, issuedAt: Date.now(), expiresAt: Date.now() + 3_600_000 };
  await store.jobs.create(job);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < ops) {
      const n = `n${next++}`;
      const t = performance.now();
      const retainUntil = Date.now() + 600_000;
      if ((await store.nonces.reserve(n, job.jobId, n, retainUntil)) !== 'reserved') throw new Error('not reserved');
      if ((await store.nonces.commit({ nonceKey: n, jobId: job.jobId, owner: n, retainUntil, leases: [] })) !== 'committed') throw new Error('not committed');
      latencies.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: ops / seconds, p50: latencies[Math.floor(latencies.length * 0.5)]!, p99: latencies[Math.floor(latencies.length * 0.99)]! };
}

const master = await RedisServer.start();
const replica = await RedisServer.start();
const admin = new Redis(replica.url);
try {
  const source = new Redis(master.url);
  await source.call('CONFIG', 'SET', 'repl-diskless-sync-delay', '0');
  await admin.call('REPLICAOF', '127.0.0.1', String(master.port));
  // WAIT counts a replica once the master has it `online` (after its first REPLCONF ACK).
  while (!String(await source.info('replication')).includes('state=online')) await new Promise((r) => setTimeout(r, 50));
  source.disconnect();
  const env = { MK: randomBytes(32).toString('base64') };
  const runs = new Map<number, Array<{ perSecond: number; p50: number; p99: number }>>([[0, []], [1, []]]);
  // Alternating runs, medians reported: the machine's other load moves single runs a lot.
  for (const acked of [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]) {
    const store = await createRedisStateStore(
      { url: master.url, key_prefix: `bench${acked}${randomBytes(3).toString('hex')}:`, command_timeout_ms: 1000, connect_timeout_ms: 2000, master_keys: [{ key_id: 'k', env: 'MK' }], min_replicas_acked: acked, replica_ack_timeout_ms: 500 },
      { env },
    );
    try {
      await measure(store); // warm-up: scripts loaded, JIT warm
      const r = await measure(store);
      runs.get(acked)!.push(r);
      console.log(`min_replicas_acked ${acked}: ${r.perSecond.toFixed(0)} reserve+commit/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (${ops} ops, concurrency ${concurrency})`);
    } finally {
      await store.close();
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [acked, rs] of runs) {
    console.log(`median, min_replicas_acked ${acked}: ${median(rs.map((r) => r.perSecond)).toFixed(0)} reserve+commit/s, p50 ${median(rs.map((r) => r.p50)).toFixed(2)} ms, p99 ${median(rs.map((r) => r.p99)).toFixed(2)} ms`);
  }
} finally {
  admin.disconnect();
  await replica.stop();
  await master.stop();
}
