/**
 * Database users end to end: executor → /v1/resolve over mTLS → gateway → postgres/mysql adapter → private
 * PostgreSQL and MariaDB. Job completion ends the user's open session and drops it, with proof in the trail;
 * a user whose creator was SIGKILLed before recording a lease is removed by the orphan sweeper.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import type { CrefgateClient } from '../../../src/client/index.ts';
import { sweepOrphans } from '../../../src/leases/orphan_sweeper.ts';
import { runRevocations } from '../../../src/leases/revocation_worker.ts';
import { refused } from '../../helpers/assertions.ts';
import { startGateway, type TestGateway } from '../../helpers/gateway.ts';
import { mariadbMissing } from '../mysql/private_mariadb.ts';
import { postgresMissing } from '../postgres/private_postgres.ts';
import { ADMIN_ENV, startPostgresRig, type PostgresRig } from '../postgres/postgres_fixture.ts';
import { MYSQL_ADMIN_ENV, startMysqlRig, type MysqlRig } from '../mysql/mysql_fixture.ts';

type Value = Record<string, string>;

describe('per-job database users through the gateway', function () {
  this.timeout(60_000);
  let pgRig: PostgresRig;
  let myRig: MysqlRig;
  let gw: TestGateway;
  let coordinator: CrefgateClient;
  let executor: CrefgateClient;
  const issue = (crefs: Record<string, string>, ttl = 600) => coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl });

  before(async function () {
    const missing = postgresMissing() ?? (await mariadbMissing());
    if (missing !== undefined) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    [pgRig, myRig] = await Promise.all([startPostgresRig(), startMysqlRig()]);
    process.env[ADMIN_ENV] = pgRig.server.adminPassword;
    process.env[MYSQL_ADMIN_ENV] = myRig.server.adminPassword;
    gw = await startGateway({
      gateway: { workers: false },
      mutate: (config) => {
        const policy = { timeout_ms: 10_000, retry: { attempts: 2, base_delay_ms: 10, max_delay_ms: 100 }, breaker: { failure_threshold: 5, cooldown_ms: 10_000 } };
        const roles = { readonly: { grant_roles: ['app_read'] }, short: { grant_roles: ['app_read'], default_ttl_seconds: 60 } };
        config.mounts.pg = { adapter: 'postgres', options: pgRig.options({ roles }), ...policy };
        config.mounts.my = { adapter: 'mysql', options: myRig.options(), ...policy };
        config.routes.unshift(
          { cref: 'cref://{tenant}/pg/{role}', mount: 'pg', path: '{role}', dynamic: true },
          { cref: 'cref://{tenant}/mysql/{role}', mount: 'my', path: '{role}', dynamic: true },
        );
      },
    });
    coordinator = gw.client('coordinator');
    executor = gw.client('executor');
  });

  after(async () => {
    await gw?.close();
    delete process.env[ADMIN_ENV];
    delete process.env[MYSQL_ADMIN_ENV];
    await Promise.allSettled([pgRig?.close(), myRig?.close()]);
  });

  it('issues both users for one job, and completing the job ends their sessions and drops them, on the trail', async () => {
    const envelope = await issue({ pg: 'cref://tenant_abc/pg/readonly', my: 'cref://tenant_abc/mysql/readonly' });
    const { secrets } = await executor.resolve(envelope, { hmacSecrets: gw.hmac });
    const pgValue = secrets.pg!.value as Value;
    const myValue = secrets.my!.value as Value;
    assert.ok(secrets.pg!.expires_at <= envelope.payload.expires_at);
    const pgSession = await pgRig.login(pgValue.username!, pgValue.password!);
    assert.equal((await pgSession.query('SELECT count(*)::int AS n FROM items')).rows[0].n, 2);
    const mySession = await myRig.login(myValue.username!, myValue.password!);
    await mySession.query('SELECT * FROM items');
    const record = await gw.gateway.services.state.leases.get(secrets.pg!.lease_id);
    assert.ok(!JSON.stringify(record).includes(pgValue.password!), 'the lease record holds no password');

    await executor.completeJob(envelope.payload.job_id);
    assert.equal(await runRevocations(gw.gateway.services, 'test'), 2);
    await assert.rejects(pgSession.query('SELECT 1'), 'the PostgreSQL session is gone');
    await assert.rejects(mySession.query('SELECT 1'), 'the MariaDB connection is gone');
    await assert.rejects(pgRig.login(pgValue.username!, pgValue.password!), /password authentication failed/);
    await assert.rejects(myRig.login(myValue.username!, myValue.password!), (err: { errno?: number }) => err.errno === 1045);
    const proofs = (await gw.auditLines()).filter((l) => l.action === 'revocation' && l.outcome === 'ok');
    const backends = proofs.map((l) => (l.detail as { backend?: Record<string, unknown> }).backend);
    assert.deepEqual(backends.map((b) => b?.user).sort(), [myValue.username, pgValue.username].sort());
    for (const b of backends) assert.deepEqual({ s: b!.sessions_terminated, d: b!.user_dropped }, { s: 1, d: true });
    await pgSession.end().catch(() => undefined);
    await mySession.end().catch(() => undefined);
  });

  it('renews a PostgreSQL lease through the gateway by moving VALID UNTIL, never past the job end; revoking it ends the login', async () => {
    const envelope = await issue({ pg: 'cref://tenant_abc/pg/short' }, 900);
    const { secrets } = await executor.resolve(envelope);
    const lease = secrets.pg!;
    const value = lease.value as Value;
    const validUntil = async () => ((await pgRig.admin('SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1', [value.username])).rows[0].rolvaliduntil as Date).getTime();
    assert.equal(lease.renewable, true);
    assert.ok(Math.abs((await validUntil()) - lease.expires_at * 1000) < 2000, 'VALID UNTIL is the 60 s lease end');
    const renewed = await executor.renewLease(lease.lease_id, 300);
    assert.ok(Math.abs((await validUntil()) - (Date.now() + 300_000)) < 5000, 'renew moved VALID UNTIL by the increment');
    assert.ok(renewed.expires_at > lease.expires_at);
    await executor.renewLease(lease.lease_id, 86_400);
    assert.ok((await validUntil()) <= envelope.payload.expires_at * 1000 + 1000, 'never past the job end');
    await executor.revokeLease(lease.lease_id);
    await runRevocations(gw.gateway.services, 'test');
    await assert.rejects(pgRig.login(value.username!, value.password!), /password authentication failed/);
  });

  it('gives 50 concurrent resolves 50 distinct PostgreSQL users, all dropped when their jobs complete', async () => {
    const envelopes = await Promise.all(Array.from({ length: 50 }, () => issue({ pg: 'cref://tenant_abc/pg/readonly' })));
    const results = await Promise.all(envelopes.map((e) => executor.resolve(e)));
    const names = results.map((r) => (r.secrets.pg!.value as Value).username!);
    assert.equal(new Set(names).size, 50);
    await Promise.all(envelopes.map((e) => executor.completeJob(e.payload.job_id)));
    let revoked = 0;
    for (let pass = 0; pass < 10 && revoked < 50; pass++) revoked += await runRevocations(gw.gateway.services, 'test');
    assert.equal(revoked, 50);
    const left = (await pgRig.admin('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [names])).rowCount;
    assert.equal(left, 0);
  });

  it('refuses a route role that is not configured, at issuance, audited; the user minted for the other cref is revoked: nothing is left', async () => {
    const envelope = await issue({ pg: 'cref://tenant_abc/pg/admin', my: 'cref://tenant_abc/mysql/readonly' });
    const line = await refused(gw, executor.resolve(envelope), 'malformed', 'backend');
    assert.match(line.reason!, /names no configured role/);
    await runRevocations(gw.gateway.services, 'test');
    for (const mount of ['pg', 'my']) assert.deepEqual(await gw.gateway.services.mounts.get(mount).listIssued!(AbortSignal.timeout(5000)), [], mount);
  });

  for (const kind of ['postgres', 'mysql'] as const) {
    it(`${kind}: the sweeper removes a user whose creator was SIGKILLed before any lease, and keeps leased and young ones`, async () => {
      const rig = kind === 'postgres' ? pgRig : myRig;
      const mount = kind === 'postgres' ? 'pg' : 'my';
      const leased = await issue({ db: `cref://tenant_abc/${kind === 'postgres' ? 'pg' : 'mysql'}/readonly` });
      const { secrets } = await executor.resolve(leased);
      const keep = (secrets.db!.value as Value).username!;

      const child = spawn(process.execPath, [path.join(import.meta.dirname, 'db_orphan_child.ts')], {
        env: { ...process.env, ORPHAN_KIND: kind, ORPHAN_MOUNT: mount, ORPHAN_JOB: 'job_crashedbeforelease', ORPHAN_OPTIONS: JSON.stringify(rig.options()) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      const orphan = /created (\S+)/.exec(line.toString())![1]!;
      child.kill('SIGKILL');
      await once(child, 'exit');

      const services = gw.gateway.services;
      assert.equal(await sweepOrphans(services, ['pg', 'my']), 0, 'within the grace period an in-flight user is left alone');
      assert.equal(await sweepOrphans(services, [mount], 0), 1);
      const names = (await services.mounts.get(mount).listIssued!(AbortSignal.timeout(5000))).map((c) => c.id);
      assert.ok(!names.includes(orphan), 'the orphan is gone');
      assert.ok(names.includes(keep), 'the leased user stays');
      const audited = (await gw.auditLines()).find((l) => l.action === 'revocation' && (l.detail as { credential?: string }).credential === orphan);
      assert.equal(audited?.outcome, 'ok');
      assert.equal((audited!.detail as { orphan: string }).orphan, 'job_unknown');
      assert.equal(audited!.job_id, 'job_crashedbeforelease');

      // Once its job is completed, the leased user is no lease's any more either (even if its revocation was lost).
      await executor.completeJob(leased.payload.job_id);
      assert.equal(await sweepOrphans(services, [mount], 0), 1);
      assert.deepEqual((await services.mounts.get(mount).listIssued!(AbortSignal.timeout(5000))).map((c) => c.id), []);
    });
  }
});
