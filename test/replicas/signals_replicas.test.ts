/**
 * Rate limits, automatic disables and forensic timelines across two `crefgate serve` processes on one Redis.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CrefgateError } from '../../src/client/index.ts';
import { auditOf, startReplicas, type ReplicaSet } from '../helpers/replicas.ts';
import { until } from '../helpers/until.ts';

const CLI = path.resolve(import.meta.dirname, '../../src/cli.ts');
const code = (err: unknown): string => (err instanceof CrefgateError ? err.code : `non-gateway error: ${String(err)}`);
const crefs = { g: 'cref://tenant_abc/github_token' };
const WINDOW_S = 3;

/** Waits for the start of a fresh fixed window, so a test's requests do not straddle a boundary. */
async function freshWindow(): Promise<void> {
  const windowMs = WINDOW_S * 1000;
  await delay(windowMs - (Date.now() % windowMs) + 20);
}


describe('signals and rate limits on two replicas sharing Redis', function () {
  this.timeout(90_000);
  let set: ReplicaSet;

  before(async () => {
    set = await startReplicas(2, process.env.REDIS_URL!, {
      mutate: (doc) => {
        doc.rate_limits = { resolve: { per_executor: { limit: 3, window_seconds: WINDOW_S } } };
        doc.signals = { enabled: true, auto_disable: { after_replays: 1 }, new_cref: { enabled: false } };
      },
    });
  });
  after(async () => {
    await set?.close();
  });

  it('holds a resolve limit across both replicas and lifts it when the window ends, having burned no nonce', async () => {
    const coordinator = set.replicas[0]!.client('coordinator');
    const [a, b] = set.replicas.map((r) => r.client('executor'));
    const envelopes = await Promise.all(Array.from({ length: 4 }, () => coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 600 })));
    await freshWindow();
    await a!.resolve(envelopes[0]!);
    await b!.resolve(envelopes[1]!);
    await a!.resolve(envelopes[2]!);
    await assert.rejects(b!.resolve(envelopes[3]!), (err) => code(err) === 'rate_limited');
    await assert.rejects(a!.resolve(envelopes[3]!), (err) => code(err) === 'rate_limited');
    const limited = (await auditOf(set.replicas[1]!)).findLast((l) => l.action === 'resolve' && l.code === 'rate_limited');
    assert.equal(limited?.step, 'rate_limit');
    await freshWindow();
    assert.equal((await b!.resolve(envelopes[3]!)).job_id, envelopes[3]!.payload.job_id);
  });

  it('disables an executor everywhere after a replay seen by one replica, until an admin enables it', async () => {
    await freshWindow();
    const coordinator = set.replicas[0]!.client('coordinator');
    const [a, b] = set.replicas.map((r) => r.client('executor'));
    const used = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 600 });
    const pending = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 600 });
    await a!.resolve(used);
    await assert.rejects(b!.resolve(used), (err) => code(err) === 'replayed');
    await until('automatic disable on replica-1', async () => (await auditOf(set.replicas[1]!)).find((l) => l.action === 'executor.disable'));
    try {
      await assert.rejects(a!.resolve(pending), (err) => code(err) === 'forbidden');
      const line = (await auditOf(set.replicas[0]!)).findLast((l) => l.action === 'resolve');
      assert.equal(line?.step, 'executor', 'replica-0 refuses the executor disabled by replica-1');
    } finally {
      await set.replicas[0]!.client('admin').setExecutorEnabled('exec-01', true);
    }
    await freshWindow();
    assert.equal((await a!.resolve(pending)).job_id, pending.payload.job_id);
  });

  it('tells the whole story of a job from both replicas\' logs, in order, verified', async () => {
    await freshWindow();
    const [r0, r1] = set.replicas;
    const envelope = await r0!.client('coordinator').issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 600 });
    const job = envelope.payload.job_id;
    const resolved = await r1!.client('executor').resolve(envelope);
    await delay(5);
    await assert.rejects(r0!.client('executor').resolve(envelope), (err) => code(err) === 'replayed');
    await until('replay alert', async () => (await auditOf(r0!)).find((l) => l.action === 'alert' && l.job_id === job));
    await delay(5);
    await r1!.client('executor').renewLease(resolved.secrets.g!.lease_id, 60).catch(() => undefined);
    await delay(5);
    await r1!.client('coordinator').completeJob(job);
    await set.replicas[0]!.client('admin').setExecutorEnabled('exec-01', true);

    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [CLI, 'audit', 'query', '--logs', path.join(set.dir, 'audit'), '--job', job, '--format', 'ndjson']);
    const story = stdout.trim().split('\n').map((l) => JSON.parse(l) as { action: string; outcome: string; origin: string; time: string });
    const actions = story.map((e) => `${e.action}:${e.outcome}`);
    for (const expected of ['job.issue:granted', 'resolve:granted', 'resolve:denied', 'alert:ok', 'job.complete:ok']) assert.ok(actions.includes(expected), `${expected} in ${actions.join(' ')}`);
    assert.ok(actions.indexOf('job.issue:granted') < actions.indexOf('resolve:granted'));
    assert.ok(actions.indexOf('resolve:granted') < actions.indexOf('resolve:denied'));
    assert.ok(actions.indexOf('resolve:denied') <= actions.indexOf('alert:ok'));
    assert.equal(actions.at(-1), 'job.complete:ok');
    assert.deepEqual([...new Set(story.map((e) => e.origin))].sort(), ['crefgate/replica-0', 'crefgate/replica-1']);
    assert.deepEqual(story.map((e) => e.time), story.map((e) => e.time).sort(), 'ordered by time');

    const table = await run(process.execPath, [CLI, 'audit', 'query', '--logs', path.join(set.dir, 'audit'), '--job', job]);
    assert.match(table.stdout.split('\n')[0]!, /^TIME\s+LOG#SEQ\s+ACTION/);
    assert.match(table.stdout, /signal=replay/);
  });
});
