/**
 * A store that lost its data is noticed, tried as an operator would: a gateway on its own redis-server, then the
 * data goes (FLUSHALL, as after a restart without persistence or a replica promoted before its first sync).
 * The next resolve answers 503 `unavailable` with Retry-After (never 401), issuance 503 (never 403), readiness
 * fails, a `state_lost` alert naming the dynamic mounts is in the audit log and the metric says so; after the
 * hold the config executors are re-seeded, a `state_reseeded` alert is recorded, and resolves work again.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { CrefgateError, envelopeBody } from '../../src/client/index.ts';
import { StateUnavailableError } from '../../src/state/contract.ts';
import { createRedisStateStore, storeHa } from '../../src/state/redis/index.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/raw_post.ts';
import { SentinelDeployment } from '../helpers/redis_sentinel.ts';
import { startRedisStateGateway } from '../helpers/redis_state_gateway.ts';
import { RedisServer } from '../helpers/redis_server.ts';
import { opsGet, sample } from '../ops/ops_helpers.ts';
import { newMasterKey, testConfig } from './redis_fixture.ts';

const HOLD_MS = 2500;

async function readyIs(gw: TestGateway, ready: boolean, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const res = await opsGet(gw, '/v1/sys/ready');
    if ((res.status === 200) === ready) return true;
    if (Date.now() > deadline) return false;
    await delay(50);
  }
}

describe('redis state store: a store that lost its data is noticed', function () {
  this.timeout(40_000);
  let redis: RedisServer;
  let gw: TestGateway;

  before(async () => {
    redis = await RedisServer.start();
    gw = await startRedisStateGateway('lost', { url: redis.url, command_timeout_ms: 300, connect_timeout_ms: 1000, epoch_loss_hold_ms: HOLD_MS });
  });
  after(async () => {
    await gw?.close();
    await redis?.stop();
  });

  it('answers 503 (not 401/403), fails readiness and alerts after FLUSHALL; re-seeds config executors, then serves again', async () => {
    const coordinator = gw.client('coordinator');
    const executor = gw.client('executor');
    const issue = () => coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { github: 'cref://tenant_abc/github_token' }, ttl: 600 });
    const before = await issue();
    const pending = await issue();
    await executor.resolve(before, { hmacSecrets: gw.hmac });
    assert.equal((await opsGet(gw, '/v1/sys/ready')).status, 200);

    const admin = new Redis(redis.url);
    try {
      // A private server holds only this gateway's keys; anything else means a port clash with a parallel run, and
      // wiping that would break someone else's test.
      const prefix = (gw.config.state as { redis: { key_prefix: string } }).redis.key_prefix;
      const [, keys] = (await admin.call('SCAN', '0', 'COUNT', '10000')) as [string, string[]];
      assert.ok(keys.length > 0 && keys.every((k) => k.startsWith(prefix)), `the private redis-server is ours alone: ${keys.filter((k) => !k.startsWith(prefix)).slice(0, 5).join(' ')}`);
      await admin.call('FLUSHALL');
    } finally {
      admin.disconnect();
    }

    // The very next resolve: the executor is "unknown" to the empty store, which must not become 401.
    const raw = await rawPost(gw.dir, gw.url, '/v1/resolve', 'executor', envelopeBody(pending));
    assert.equal(raw.status, 503, raw.body);
    assert.equal(JSON.parse(raw.body).error.code, 'unavailable');
    assert.ok(Number(raw.headers['retry-after']) >= 1, 'Retry-After on 503');
    await assert.rejects(issue(), (err) => err instanceof CrefgateError && err.status === 503 && err.code === 'unavailable');
    assert.equal((await opsGet(gw, '/v1/sys/ready')).status, 503, 'readiness fails while the loss is handled');
    const metrics = (await opsGet(gw, '/metrics')).text;
    assert.equal(sample(metrics, 'crefgate_state_lost'), 1);
    assert.equal(sample(metrics, 'crefgate_state_epoch_losses_total', { kind: 'wiped' }), 1);

    await delay(200);
    const lost = (await gw.auditLines()).find((l) => l.action === 'alert' && l.reason === 'state_lost');
    assert.ok(lost !== undefined, 'a state_lost alert is in the audit log');
    const detail = lost.detail as { kind: string; mounts_with_dynamic_credentials: string[] };
    assert.equal(detail.kind, 'wiped');
    assert.ok(Array.isArray(detail.mounts_with_dynamic_credentials));
    const refused = (await gw.auditLines()).find((l) => l.action === 'resolve' && l.job_id === pending.payload.job_id);
    assert.equal(refused?.code, 'unavailable');

    // After the hold: the config executor is back (same HMAC secret from config), readiness too.
    assert.ok(await readyIs(gw, true, HOLD_MS + 5000), 'readiness returns after the re-seed');
    const reseeded = (await gw.auditLines()).find((l) => l.action === 'alert' && l.reason === 'state_reseeded');
    assert.ok(reseeded !== undefined, 'a state_reseeded alert is in the audit log');
    assert.ok(Array.isArray((reseeded.detail as { unreconciled_mounts: unknown }).unreconciled_mounts));
    const after = await issue();
    const result = await executor.resolve(after, { hmacSecrets: gw.hmac });
    assert.match(result.secrets.github!.value as string, /^ghp_demo_/);
    assert.equal(sample((await opsGet(gw, '/metrics')).text, 'crefgate_state_lost'), 0);
  });
});

describe('redis sentinel: a replica promoted before its first sync is noticed', function () {
  this.timeout(40_000);
  let deployment: SentinelDeployment | undefined;
  let gw: TestGateway | undefined;

  before(async () => {
    // The master waits 60 s before it starts a replica's first sync: the replica is connected, known to the
    // sentinels, and empty.
    deployment = await SentinelDeployment.start({ replicas: 1, firstSyncDelaySeconds: 60 });
    gw = await startRedisStateGateway('lost', {
      sentinel: { name: deployment.name, sentinels: deployment.sentinelAddresses }, command_timeout_ms: 300, connect_timeout_ms: 1000,
      epoch_loss_hold_ms: HOLD_MS,
    });
  });
  after(async () => {
    await gw?.close();
    await deployment?.stop();
  });

  it('answers 503 (not 401) after the empty replica is promoted, alerts, then re-seeds and serves on the new master', async () => {
    const coordinator = gw!.client('coordinator');
    const issue = () => coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { github: 'cref://tenant_abc/github_token' }, ttl: 600 });
    const pending = await issue();
    await deployment!.failover();

    // Until the gateway has followed, answers are 503 (old master now read-only or gone); never 401 or 403.
    let raw = await rawPost(gw!.dir, gw!.url, '/v1/resolve', 'executor', envelopeBody(pending));
    assert.equal(raw.status, 503, raw.body);
    assert.equal(JSON.parse(raw.body).error.code, 'unavailable');
    assert.ok(await readyIs(gw!, false, 3000), 'readiness fails');
    let lost: unknown;
    const deadline = Date.now() + 5000;
    while (lost === undefined && Date.now() < deadline) {
      lost = (await gw!.auditLines()).find((l) => l.action === 'alert' && l.reason === 'state_lost');
      await delay(100);
    }
    assert.ok(lost !== undefined, 'a state_lost alert is in the audit log');
    raw = await rawPost(gw!.dir, gw!.url, '/v1/resolve', 'executor', envelopeBody(pending));
    assert.equal(raw.status, 503, raw.body);

    assert.ok(await readyIs(gw!, true, HOLD_MS + 8000), 'readiness returns after the re-seed');
    // The job was lost with the store (its envelope is refused at the nonce step as unknown, after the epoch check
    // said the store is the new one); a new job on the re-seeded executor works.
    const result = await gw!.client('executor').resolve(await issue(), { hmacSecrets: gw!.hmac });
    assert.match(result.secrets.github!.value as string, /^ghp_demo_/);
  });
});

describe('redis store epoch: two stores on one server', function () {
  this.timeout(20_000);
  let redis: RedisServer | undefined;
  const stores: Array<Awaited<ReturnType<typeof createRedisStateStore>>> = [];
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await redis?.stop();
  });

  async function reopened(store: (typeof stores)[number], withinMs: number): Promise<void> {
    const deadline = Date.now() + withinMs;
    while (!(await store.health()).ok) {
      if (Date.now() > deadline) assert.fail('the store did not re-open');
      await delay(50);
    }
  }

  it('both notice a rollback (the beat went backwards), and re-open on one renewed epoch', async () => {
    redis = await RedisServer.start();
    const config = testConfig({ url: redis.url, epoch_check_interval_ms: 100, epoch_loss_hold_ms: 500 });
    const env = { CG_MK1: newMasterKey() };
    stores.push(await createRedisStateStore(config, { env }), await createRedisStateStore(config, { env }));
    const [a, b] = stores as [(typeof stores)[number], (typeof stores)[number]];
    const before = storeHa(a)!.epoch.current;
    assert.equal(storeHa(b)!.epoch.current, before);
    await delay(300);
    // An older copy of the store: the id is the same, the beat counter is back where it was long ago.
    const admin = new Redis(redis.url);
    try {
      await admin.call('SET', `${config.key_prefix}{epoch}:beat`, '1');
    } finally {
      admin.disconnect();
    }
    await assert.rejects(a.executors.get('nobody'), StateUnavailableError);
    await assert.rejects(b.jobs.get('no-job'), StateUnavailableError);
    assert.equal(storeHa(a)!.epoch.lost?.kind, 'rolled_back');
    await reopened(a, 5000);
    await reopened(b, 5000);
    const after = storeHa(a)!.epoch.current;
    assert.notEqual(after, before, 'the epoch was renewed, so every replica sees the loss');
    assert.equal(storeHa(b)!.epoch.current, after, 'both adopted the same new epoch');
    assert.equal(await a.executors.get('nobody'), undefined);
  });
});
