/**
 * Scale-out with the same guarantees as one process: three `crefgate serve` processes on one Redis.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { CrefgateError, type Envelope } from '../../src/client/index.ts';
import type { VaultEmulator } from '../adapters/vault/emulator/server.ts';
import { RedisServer } from '../helpers/redis_server.ts';
import { makeTempFolder } from '../helpers/kit.ts';
import { auditOf, startReplicas, type ReplicaSet } from '../helpers/replicas.ts';
import { until } from '../helpers/until.ts';
import { startVaultReplicas } from './vault_replicas.ts';

const code = (err: unknown): string => (err instanceof CrefgateError ? err.code : `non-gateway error: ${String(err)}`);


describe('three gateway replicas on one Redis', function () {
  this.timeout(90_000);
  let set: ReplicaSet;
  let vault: VaultEmulator;

  before(async () => {
    ({ set, vault } = await startVaultReplicas(3));
  });
  after(async () => {
    await set?.close();
    await vault?.close();
  });

  it('lets exactly one presentation win when one envelope is fired at every replica many times', async () => {
    const coordinator = set.replicas[0]!.client('coordinator');
    const executors = set.replicas.map((r) => r.client('executor'));
    for (let round = 0; round < 8; round++) {
      const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 });
      const attempts = executors.flatMap((c) => Array.from({ length: 5 }, () => c.resolve(envelope)));
      const results = await Promise.allSettled(attempts);
      const wins = results.filter((r) => r.status === 'fulfilled').length;
      const codes = results.flatMap((r) => (r.status === 'rejected' ? [code(r.reason)] : []));
      assert.equal(wins, 1, `round ${round}: ${wins} wins`);
      assert.deepEqual([...new Set(codes)], ['replayed']);
    }
  });

  it('honours a rotation and a disable made on one replica on every other replica at once', async () => {
    const admin = set.replicas[0]!.client('admin');
    const rotated = await admin.rotateExecutorSecret('exec-01');
    const viaB = await set.replicas[1]!.client('coordinator').issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 });
    assert.equal(viaB.kid, rotated.kid, 'replica B signs with the secret rotated on replica A');
    await set.replicas[2]!.client('executor').resolve(viaB, { hmacSecrets: new Map([[rotated.kid, Buffer.from(rotated.secret, 'base64url')]]) });

    const pending = await set.replicas[1]!.client('coordinator').issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 });
    await admin.setExecutorEnabled('exec-01', false);
    try {
      await assert.rejects(set.replicas[2]!.client('executor').resolve(pending), (err) => code(err) === 'forbidden');
      const line = (await auditOf(set.replicas[2]!)).findLast((l) => l.action === 'resolve');
      assert.equal(line?.step, 'executor');
    } finally {
      await admin.setExecutorEnabled('exec-01', true);
    }
    await set.replicas[2]!.client('executor').resolve(pending);
  });

  it('finishes a backend revocation on another replica when the replica doing it dies', async () => {
    const coordinator = set.replicas[0]!.client('coordinator');
    const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { db: 'cref://tenant_abc/db/readonly' }, ttl: 600 });
    const { secrets } = await set.replicas[0]!.client('executor').resolve(envelope);
    assert.ok(secrets.db!.lease_id);
    // Vault hangs: whichever replica claims the revocation gets stuck in the middle of it.
    vault.setFault('hang');
    await set.replicas[0]!.client('executor').completeJob(envelope.payload.job_id);
    const redis = new Redis(process.env.REDIS_URL!, { lazyConnect: false });
    try {
      const prefix = `${set.keyPrefix}{rq}:stream`;
      const owner = await until('a replica to claim the revocation', async () => {
        const pending = (await redis.call('XPENDING', prefix, 'crefgate-revokers', '-', '+', 10)) as Array<[string, string, number, number]>;
        return pending[0]?.[1];
      });
      const victim = set.replicas.find((r) => owner.endsWith(`-${r.process!.pid}`))!;
      assert.ok(victim, `claim owner ${owner} is one of the replicas`);
      await victim.kill('SIGKILL');
      vault.setFault(null);
      const vaultLeases = () => [...vault.state.leases.keys()].map((id) => ({ state: vault.leaseState(id) }));
      const others = set.replicas.filter((r) => r !== victim);
      await until('a surviving replica to revoke the lease and audit it', async () => {
        const audits = (await Promise.all(others.map(auditOf))).flat();
        return audits.some((l) => l.action === 'revocation' && l.outcome === 'ok') ? true : undefined;
      }, 30_000);
      assert.ok(vaultLeases().some((l) => l.state === 'revoked'), 'revoked at Vault');
    } finally {
      vault.setFault(null);
      redis.disconnect();
    }
  });
});

describe('Redis stopped under load', function () {
  this.timeout(120_000);
  let redis: RedisServer;
  let set: ReplicaSet;
  let persistDir: Awaited<ReturnType<typeof makeTempFolder>>;

  before(async () => {
    persistDir = await makeTempFolder('crefgate-redis-');
    redis = await RedisServer.start(undefined, persistDir.path);
    set = await startReplicas(2, redis.url);
  });
  after(async () => {
    await set?.close();
    await redis?.stop();
    await persistDir?.remove();
  });

  it('answers only 503s while Redis is down, releases nothing, and resumes by itself after Redis returns', async () => {
    const coordinator = set.replicas[0]!.client('coordinator');
    const executors = set.replicas.map((r) => r.client('executor'));
    const envelopes: Envelope[] = [];
    for (let i = 0; i < 30; i++) {
      envelopes.push(await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 }));
    }
    const granted: string[] = [];
    const refusedWhileDown: Envelope[] = [];
    for (let i = 0; i < 10; i++) {
      const result = await executors[i % 2]!.resolve(envelopes[i]!);
      granted.push(result.job_id);
    }
    await redis.stop();
    for (let i = 10; i < 20; i++) {
      const started = Date.now();
      await assert.rejects(executors[i % 2]!.resolve(envelopes[i]!), (err) => code(err) === 'unavailable');
      assert.ok(Date.now() - started < 3000, 'fails within a bounded time');
      refusedWhileDown.push(envelopes[i]!);
    }
    await redis.restart();
    // No gateway restart: the replicas reconnect on their own, and the envelopes refused during the outage work.
    await until('the replicas to recover', async () => {
      const result = await executors[0]!.resolve(envelopes[20]!);
      return result.job_id;
    }, 30_000).then((id) => granted.push(id));
    for (const envelope of refusedWhileDown) granted.push((await executors[1]!.resolve(envelope)).job_id);

    const lines = (await Promise.all(set.replicas.map(auditOf))).flat();
    const grantedLines = new Set(lines.filter((l) => l.action === 'resolve' && l.outcome === 'granted').map((l) => l.job_id));
    for (const job of granted) assert.ok(grantedLines.has(job), `every released secret has its audit line (${job})`);
    assert.equal(grantedLines.size, granted.length, 'nothing granted that the client did not receive');
    const outage = lines.filter((l) => l.action === 'resolve' && l.code === 'unavailable');
    assert.ok(outage.length >= 10, 'the outage refusals are audited');
  });
});
