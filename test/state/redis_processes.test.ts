/** Several OS processes sharing one Redis, as separate gateway replicas would. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisConfig } from '../../src/state/config.ts';
import type { StateStore } from '../../src/state/contract.ts';
import { createRedisStateStore } from '../../src/state/redis/index.ts';
import { newMasterKey, testConfig } from './redis_fixture.ts';
import { sampleJob } from './samples.ts';

const WORKER = fileURLToPath(new URL('./state_worker.ts', import.meta.url));

/** Runs the worker script in a fresh `node` process and returns its stdout, parsed. */
async function runWorker(input: object): Promise<string[]> {
  const child = spawn(process.execPath, [WORKER, JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, `worker failed: ${err}`);
  return JSON.parse(out) as string[];
}

describe('redis state store: separate processes', function () {
  this.timeout(30_000);
  const env = { CG_MK1: newMasterKey() };
  let config: RedisConfig;
  let store: StateStore | undefined;
  // REDIS_URL is only known once the global fixture has run.
  beforeEach(async () => {
    config = testConfig();
    store = await createRedisStateStore(config, { env });
  });
  afterEach(async () => {
    await store?.close();
  });

  it('three processes racing for the same 300 nonces: exactly one winner per nonce', async () => {
    const job = sampleJob(Date.now());
    await store!.jobs.create(job);
    const nonces = Array.from({ length: 300 }, (_, i) => `race-${i}`);
    // A common start instant, far enough ahead for all three to have connected.
    const startAt = Date.now() + 1500;
    const wins = await Promise.all([1, 2, 3].map(() => runWorker({ mode: 'race', config, env, jobId: job.jobId, nonces, startAt })));
    const all = wins.flat();
    assert.equal(all.length, nonces.length, 'every nonce was won');
    assert.equal(new Set(all).size, nonces.length, 'no nonce was won twice');
  });

  it('revocations claimed by a process that dies are taken over after staleAfterMs', async () => {
    await store!.revocations.enqueue({ leaseId: 'dead-1', mount: 'm', handle: { id: 1 }, cause: 'lease_expired', enqueuedAt: Date.now() });
    await store!.revocations.enqueue({ leaseId: 'dead-2', mount: 'm', handle: { id: 2 }, cause: 'lease_expired', enqueuedAt: Date.now() });
    const claimedByDead = await runWorker({ mode: 'claim-and-die', config, env, consumer: 'replica-dead' });
    assert.deepEqual(claimedByDead.sort(), ['dead-1', 'dead-2']);
    assert.deepEqual(await store!.revocations.claim('replica-alive', 10, 500), [], 'not yet presumed dead');
    await delay(600);
    const taken = await store!.revocations.claim('replica-alive', 10, 500);
    assert.deepEqual(taken.map((c) => c.task.leaseId).sort(), ['dead-1', 'dead-2']);
    assert.ok(taken.every((c) => c.attempts === 1));
    for (const c of taken) await store!.revocations.ack(c.id);
    assert.equal(await store!.revocations.depth(), 0);
  });
});
