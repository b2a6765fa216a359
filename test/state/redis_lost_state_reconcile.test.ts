/**
 * A store loss does not leave dynamic credentials alive with nothing to revoke them: a gateway on its own
 * redis-server with PostgreSQL and MariaDB mounts (private servers) and a Vault mount (the emulator) issues
 * per-job database users, then the Redis data goes (FLUSHALL). When the gateway recovers from the loss, both users
 * are dropped at their databases (logins refused), each with a `revocation` audit event of cause `state_lost`; the
 * `state_reseeded` alert reports both database mounts as reconciled (1 revoked each) and the Vault mount as not
 * listable with what bounds its leases; users issued after the recovery are kept. Before this pass, nothing revoked
 * the users until the periodic sweep's 5-minute grace had passed (the PostgreSQL login still worked: seen failing).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { sweepOrphans } from '../../src/leases/orphan_sweeper.ts';
import { startVaultEmulator, type VaultEmulator } from '../adapters/vault/emulator/server.ts';
import { MYSQL_ADMIN_ENV, startMysqlRig, type MysqlRig } from '../adapters/mysql/mysql_fixture.ts';
import { mariadbMissing } from '../adapters/mysql/private_mariadb.ts';
import { postgresMissing } from '../adapters/postgres/private_postgres.ts';
import { ADMIN_ENV, startPostgresRig, type PostgresRig } from '../adapters/postgres/postgres_fixture.ts';
import { startGateway, type AuditLine, type TestGateway } from '../helpers/gateway.ts';
import { RedisServer } from '../helpers/redis_server.ts';

const HOLD_MS = 1500;
type Value = Record<string, string>;

async function alertOf(gw: TestGateway, reason: string, withinMs: number): Promise<AuditLine> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const line = (await gw.auditLines()).find((l) => l.action === 'alert' && l.reason === reason);
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`no ${reason} alert within ${withinMs} ms`);
    await delay(100);
  }
}

describe('redis state store: after a loss, dynamic credentials are reconciled against the backends', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let pgRig: PostgresRig;
  let myRig: MysqlRig;
  let vault: VaultEmulator;
  let keyDir: string;
  let gw: TestGateway;

  before(async function () {
    const missing = postgresMissing() ?? (await mariadbMissing());
    if (missing !== undefined) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    [redis, pgRig, myRig, vault] = await Promise.all([RedisServer.start(), startPostgresRig(), startMysqlRig(), startVaultEmulator()]);
    process.env[ADMIN_ENV] = pgRig.server.adminPassword;
    process.env[MYSQL_ADMIN_ENV] = myRig.server.adminPassword;
    process.env.CREFGATE_RECONCILE_VAULT_TOKEN = vault.rootToken;
    keyDir = await mkdtemp(path.join(tmpdir(), 'crefgate-reconcile-key-'));
    await writeFile(path.join(keyDir, 'master.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    gw = await startGateway({
      // No periodic workers: whatever revokes the user below is the loss handling itself.
      gateway: { workers: false },
      mutate: (config) => {
        config.state = {
          kind: 'redis',
          redis: {
            url: redis.url, key_prefix: `reconcile${randomBytes(3).toString('hex')}:`, command_timeout_ms: 300, connect_timeout_ms: 1000,
            master_keys: [{ key_id: 'm1', file: path.join(keyDir, 'master.key') }], epoch_loss_hold_ms: HOLD_MS,
          },
        };
        const policy = { timeout_ms: 10_000, retry: { attempts: 1, base_delay_ms: 10, max_delay_ms: 100 }, breaker: { failure_threshold: 5, cooldown_ms: 10_000 } };
        config.mounts.pg = { adapter: 'postgres', options: pgRig.options(), ...policy };
        config.mounts.my = { adapter: 'mysql', options: myRig.options(), ...policy };
        config.mounts.vault = {
          adapter: 'vault',
          options: { address: vault.url, kv: { mount: 'secret', version: 2 }, auth: { method: 'token', token_env: 'CREFGATE_RECONCILE_VAULT_TOKEN' } },
          ...policy,
        };
        config.routes.unshift(
          { cref: 'cref://{tenant}/pg/{role}', mount: 'pg', path: '{role}', dynamic: true },
          { cref: 'cref://{tenant}/mysql/{role}', mount: 'my', path: '{role}', dynamic: true },
        );
      },
    });
  });

  after(async () => {
    await gw?.close();
    delete process.env[ADMIN_ENV];
    delete process.env[MYSQL_ADMIN_ENV];
    delete process.env.CREFGATE_RECONCILE_VAULT_TOKEN;
    await Promise.allSettled([redis?.stop(), pgRig?.close(), myRig?.close(), vault?.close()]);
    if (keyDir !== undefined) await rm(keyDir, { recursive: true, force: true });
  });

  it('drops the users issued before FLUSHALL at PostgreSQL and MariaDB, audits them, reports both reconciled and vault not listable, keeps later users', async () => {
    const coordinator = gw.client('coordinator');
    const executor = gw.client('executor');
    const issue = () => coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { db: 'cref://tenant_abc/pg/readonly', my: 'cref://tenant_abc/mysql/readonly' }, ttl: 600 });
    const before = await issue();
    const lostSecrets = (await executor.resolve(before, { hmacSecrets: gw.hmac })).secrets;
    const lost = lostSecrets.db!.value as Value;
    const lostMy = lostSecrets.my!.value as Value;
    await (await pgRig.login(lost.username!, lost.password!)).end();
    await (await myRig.login(lostMy.username!, lostMy.password!)).end();

    const admin = new Redis(redis.url);
    try {
      // The private server holds only this gateway's keys; anything else would be someone else's (a port clash).
      const prefix = (gw.config.state as { redis: { key_prefix: string } }).redis.key_prefix;
      const [, keys] = (await admin.call('SCAN', '0', 'COUNT', '10000')) as [string, string[]];
      assert.ok(keys.length > 0 && keys.every((k) => k.startsWith(prefix)), 'the private redis-server is ours alone');
      await admin.call('FLUSHALL');
    } finally {
      admin.disconnect();
    }

    const reseeded = await alertOf(gw, 'state_reseeded', HOLD_MS + 10_000);
    await assert.rejects(pgRig.login(lost.username!, lost.password!), /password authentication failed/, 'the lost user cannot log in');
    const roles = await pgRig.admin('SELECT 1 FROM pg_roles WHERE rolname = $1', [lost.username]);
    assert.equal(roles.rowCount, 0, 'the role is dropped');
    await assert.rejects(myRig.login(lostMy.username!, lostMy.password!), (err: { errno?: number }) => err.errno === 1045, 'the lost MariaDB user cannot log in');
    const detail = reseeded.detail as { reconciliation: Record<string, Record<string, unknown>>; unreconciled_mounts: string[] };
    assert.deepEqual(detail.reconciliation.pg, { status: 'reconciled', listed: 1, revoked: 1, failed: 0, deferred: 0 });
    assert.deepEqual(detail.reconciliation.my, { status: 'reconciled', listed: 1, revoked: 1, failed: 0, deferred: 0 });
    assert.equal(detail.reconciliation.vault?.status, 'not_listable');
    assert.match(String(detail.reconciliation.vault?.bounded_by), /Vault lease TTL/);
    assert.deepEqual(detail.unreconciled_mounts, ['vault']);
    assert.ok(!('local' in detail.reconciliation), 'a static mount is not in the reconciliation');

    for (const [mount, username] of [['pg', lost.username], ['my', lostMy.username]]) {
      const revocation = (await gw.auditLines()).find((l) => l.action === 'revocation' && (l.detail as { credential?: string }).credential === username);
      assert.equal(revocation?.outcome, 'ok', mount);
      const { cause, orphan, mount: on } = revocation!.detail as { cause: string; orphan: string; mount: string };
      assert.deepEqual({ cause, orphan, on }, { cause: 'state_lost', orphan: 'job_unknown', on: mount });
      assert.equal(revocation!.job_id, before.payload.job_id);
    }
    const trail = JSON.stringify(await gw.auditLines());
    assert.ok(!trail.includes(lost.password!) && !trail.includes(lostMy.password!), 'no password on the trail');

    // Serving again: a user issued in the new epoch has its lease there and is kept, even by a graceless sweep.
    const after = await issue();
    const keptSecrets = (await executor.resolve(after, { hmacSecrets: gw.hmac })).secrets;
    const kept = keptSecrets.db!.value as Value;
    assert.equal(await sweepOrphans(gw.gateway.services, ['pg', 'my', 'vault'], 0), 0);
    const session = await pgRig.login(kept.username!, kept.password!);
    assert.equal((await session.query('SELECT count(*)::int AS n FROM items')).rows[0].n, 2);
    await session.end();
    const keptMy = keptSecrets.my!.value as Value;
    await (await myRig.login(keptMy.username!, keptMy.password!)).end();
  });
});
