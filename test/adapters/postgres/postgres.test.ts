/**
 * The postgres adapter against a real, private PostgreSQL 15 with scram-sha-256: the tests log in as the issued
 * user with the real driver. Skipped (with the reason) only when the server binaries are missing.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type pg from 'pg';
import { create } from '../../../adapters/postgres/adapter.ts';
import { manifest } from '../../../adapters/postgres/index.ts';
import { withResilience } from '../../../adapters/resilience.ts';
import { rejectsKind } from '../../helpers/adapter_errors.ts';
import { signal as boundedSignal } from '../../helpers/kit.ts';
import { postgresMissing } from './private_postgres.ts';
import { issueRequest } from '../sql_users/issue_request.ts';
import { usePrivateRig } from '../sql_users/private_rig.ts';
import { killOnceAt, RETRY_THROUGH_ONE_FAULT } from '../sql_users/revoke_faults.ts';
import { startPostgresRig, type PostgresRig } from './postgres_fixture.ts';

// Database round trips (role creation, revocation) get twice the kit's default bound.
const signal = () => boundedSignal(10_000);
type Value = Record<string, string>;

describe('postgres adapter (private PostgreSQL, scram-sha-256)', function () {
  this.timeout(60_000);
  const { rig, login, open } = usePrivateRig<pg.Client, PostgresRig>(postgresMissing, startPostgresRig);

  /** Ends the sessions of the adapter's admin pool (mount `pg`). */
  const killAdmins = async () => {
    await rig().admin("SELECT pg_terminate_backend(pid, 2000) FROM pg_stat_activity WHERE application_name = 'crefgate:pg'");
  };
  const prefixed = async () => (await rig().admin("SELECT rolname FROM pg_roles WHERE rolname LIKE 'cg\\_%'")).rows.map((r) => r.rolname as string);

  it('issues a user who may read what its group role grants and nothing else', async () => {
    const adapter = rig().adapter();
    const cred = await adapter.issue(issueRequest('readonly'));
    const value = cred.value as Value;
    assert.match(value.username!, /^cg_tenantabc_testjob0001_[a-z2-7]{10}$/);
    assert.ok(value.password!.length >= 24);
    assert.equal(value.port, String(rig().server.port));
    assert.equal(value.uri, `postgresql://${value.username}:${value.password}@127.0.0.1:${rig().server.port}/postgres`);
    const client = await login(value);
    assert.deepEqual((await client.query('SELECT label FROM items ORDER BY id')).rows, [{ label: 'one' }, { label: 'two' }]);
    await assert.rejects(client.query('SELECT value FROM secrets'), (err: { code?: string }) => err.code === '42501');
    await assert.rejects(client.query('CREATE ROLE intruder'), (err: { code?: string }) => err.code === '42501');
    assert.deepEqual(cred.handle, { username: value.username, job_expires_at: (cred.handle as { job_expires_at: number }).job_expires_at, role: 'readonly' });
    assert.ok(!JSON.stringify(cred.handle).includes(value.password!));
    await adapter.revoke({ handle: cred.handle, signal: signal() });
  });

  it('keeps the clear password off the server: it stores a SCRAM verifier', async () => {
    const adapter = rig().adapter();
    const cred = await adapter.issue(issueRequest('readonly'));
    const value = cred.value as Value;
    const { rows } = await rig().admin('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [value.username]);
    assert.match(rows[0].rolpassword, /^SCRAM-SHA-256\$4096:/);
    assert.ok(!String(rows[0].rolpassword).includes(value.password!));
    await adapter.revoke({ handle: cred.handle, signal: signal() });
  });

  it('sets VALID UNTIL to the lease end, bounded by the job end, and the server enforces it', async () => {
    const adapter = rig().adapter({ default_ttl_seconds: 300 });
    const long = await adapter.issue(issueRequest('readonly', { jobSeconds: 3600 }));
    assert.equal(long.leaseDuration, 300);
    const until = (await rig().admin('SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1', [(long.value as Value).username])).rows[0].rolvaliduntil as Date;
    assert.ok(Math.abs(until.getTime() - (Date.now() + 300_000)) < 5000);
    const short = await adapter.issue({ ...issueRequest('readonly', { jobSeconds: 2 }), maxTtlSeconds: 1 });
    assert.ok(short.leaseDuration <= 2);
    await delay(2500);
    await assert.rejects(rig().login((short.value as Value).username!, (short.value as Value).password!), /password authentication failed/);
    for (const cred of [long, short]) await adapter.revoke({ handle: cred.handle, signal: signal() });
  });

  it('renews by moving VALID UNTIL, never past the job end', async () => {
    const adapter = rig().adapter({ default_ttl_seconds: 60 });
    const request = issueRequest('readonly', { jobSeconds: 600 });
    const cred = await adapter.issue(request);
    const name = (cred.value as Value).username;
    const validUntil = async () => ((await rig().admin('SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1', [name])).rows[0].rolvaliduntil as Date).getTime();
    const before = await validUntil();
    const renewed = await adapter.renew({ handle: cred.handle, incrementSeconds: 300, signal: signal() });
    assert.ok(renewed.leaseDuration >= 299 && renewed.leaseDuration <= 300);
    assert.ok((await validUntil()) > before + 200_000, 'VALID UNTIL moved');
    const capped = await adapter.renew({ handle: cred.handle, incrementSeconds: 86_400, signal: signal() });
    assert.ok(capped.leaseDuration <= 600);
    assert.ok((await validUntil()) <= request.job.expiresAt + 1000, 'never past the job end');
    await adapter.revoke({ handle: cred.handle, signal: signal() });
    await rejectsKind(adapter.renew({ handle: cred.handle, incrementSeconds: 60, signal: signal() }), 'not_found');
  });

  it('revokes by ending open sessions first, then dropping the user; a new login is refused; twice is fine', async () => {
    const adapter = rig().adapter();
    const cred = await adapter.issue(issueRequest('readonly'));
    const value = cred.value as Value;
    const session = await login(value);
    await session.query('CREATE TABLE owned_by_user (x int)');
    const outcome = await adapter.revoke({ handle: cred.handle, signal: signal() });
    assert.deepEqual(outcome, { user: value.username, sessions_terminated: 1, user_dropped: true, already_gone: false });
    await assert.rejects(session.query('SELECT 1'), 'the open session is gone');
    await assert.rejects(rig().login(value.username!, value.password!), /password authentication failed/);
    assert.equal((await rig().admin('SELECT 1 FROM pg_roles WHERE rolname = $1', [value.username])).rowCount, 0);
    const owner = await rig().admin("SELECT tableowner FROM pg_tables WHERE tablename = 'owned_by_user'");
    assert.equal(owner.rows[0].tableowner, 'admin', 'REASSIGN OWNED gave its table to the configured owner');
    assert.deepEqual(await adapter.revoke({ handle: cred.handle, signal: signal() }), {
      user: value.username, sessions_terminated: 0, user_dropped: false, already_gone: true,
    });
  });

  it('gives 50 concurrent issues 50 distinct users, each able to log in', async () => {
    const adapter = rig().adapter({ pool_size: 10 });
    const creds = await Promise.all(Array.from({ length: 50 }, () => adapter.issue(issueRequest('readonly'))));
    const names = new Set(creds.map((c) => (c.value as Value).username));
    assert.equal(names.size, 50);
    const sample = await login(creds[49]!.value as Value);
    assert.equal((await sample.query('SELECT count(*)::int AS n FROM items')).rows[0].n, 2);
    await sample.end();
    open.pop();
    await Promise.all(creds.map((c) => adapter.revoke({ handle: c.handle, signal: signal() })));
    assert.deepEqual(await prefixed(), []);
  });

  it('finishes a revocation whose admin connection is killed mid-way, through the retry', async () => {
    const fault = killOnceAt('owning', killAdmins);
    const adapter = withResilience(rig().adapter({}, { onRevokeStep: fault.onRevokeStep }), RETRY_THROUGH_ONE_FAULT);
    const cred = await adapter.issue!(issueRequest('readonly'));
    const session = await login(cred.value as Value);
    const outcome = (await adapter.revoke!({ handle: cred.handle, signal: signal() })) as Record<string, unknown>;
    assert.equal(fault.reached, 2, 'the first attempt failed on the dead connection and the retry ran the revoke again');
    assert.equal(fault.kills, 1, 'the admin connections were killed during the revoke');
    assert.equal(outcome.user_dropped, true);
    await assert.rejects(session.query('SELECT 1'));
    assert.deepEqual(await prefixed(), []);
  });

  it('says how far a failed revocation got, and the next attempt finishes it', async () => {
    const adapter = rig().adapter({}, { onRevokeStep: killOnceAt('owning', killAdmins).onRevokeStep });
    const cred = await adapter.issue(issueRequest('readonly'));
    await login(cred.value as Value);
    const err = await rejectsKind(adapter.revoke({ handle: cred.handle, signal: signal() }), 'unavailable', /done before the failure: login blocked, sessions ended: 1$/);
    assert.equal(err.retryable, true);
    const outcome = (await adapter.revoke({ handle: cred.handle, signal: signal() })) as Record<string, unknown>;
    assert.equal(outcome.user_dropped, true);
    assert.deepEqual(await prefixed(), []);
  });

  it('refuses hostile route parameters at issuance with a clear error and creates nothing', async () => {
    const adapter = rig().adapter();
    for (const path of ['readonly"; DROP ROLE admin; --', "readonly'", 'nope', 'a'.repeat(500)]) {
      const err = await rejectsKind(adapter.issue(issueRequest(path)), 'invalid_reference', /names no configured role/);
      assert.ok(!err.reason.includes('DROP'), 'the caller-supplied text is not echoed');
    }
    await rejectsKind(adapter.issue(issueRequest('readonly', { routeOptions: { statements: 'DROP ROLE admin' } })), 'invalid_reference', /unknown route option/);
    // A field would silently be ignored or hand out half a credential: refused like STS and GitHub tokens.
    await rejectsKind(adapter.issue({ ...issueRequest('readonly'), field: 'password' }), 'invalid_reference', /no fields/);
    assert.deepEqual(await prefixed(), []);
    // Quotes and over-long tenants or job ids only shape a slug: the name stays [a-z0-9_] within 63 bytes.
    const odd = await adapter.issue(issueRequest('readonly', { tenant: `t"; DROP ROLE admin; --${'x'.repeat(100)}`, jobId: `job_'${'y'.repeat(200)}` }));
    const name = (odd.value as Value).username!;
    assert.match(name, /^cg_[a-z0-9_]+$/);
    assert.ok(Buffer.byteLength(name) <= 63);
    await adapter.revoke({ handle: odd.handle, signal: signal() });
  });

  it('refuses hostile or broken mount options at start-up', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ username_prefix: 'cg";' }, /prefix/],
      [{ username_prefix: 'a'.repeat(17) }, /prefix/],
      [{ roles: { readonly: { grant_roles: ['app_read"; DROP ROLE admin; --'] } } }, /identifier/],
      [{ roles: { readonly: { creation_statements: ['CREATE ROLE {{name}} LOGIN PASSWORD {{password}}; DROP ROLE admin'] } } }, /more than one/],
      [{ roles: { readonly: { creation_statements: ['CREATE ROLE {{name}} LOGIN PASSWORD {{password}} -- hi'] } } }, /comment/],
      [{ roles: { readonly: { creation_statements: ['CREATE ROLE {{name}} LOGIN PASSWORD {{secret}}'] } } }, /unknown placeholder/],
      [{ roles: { readonly: { creation_statements: ['GRANT app_read TO {{name}}'] } } }, /\{\{password\}\}/],
      [{ roles: { readonly: { grant_roles: ['app_read'], revocation_statements: ['SELECT {{password}}'] } } }, /only use \{\{name\}\}/],
      [{ roles: { 'Bad Name': { grant_roles: ['app_read'] } } }, /role name/],
      [{ connection: { host: 'db.example', database: 'postgres', user: 'admin', password_env: 'X' } }, /tls/],
      [{ connection: { host: '127.0.0.1', database: 'postgres', user: 'admin', password: 'inline' } }, /password/],
    ];
    for (const [extra, message] of bad) {
      const parsed = manifest.optionsSchema.safeParse(rig().options(extra));
      assert.equal(parsed.success, false, JSON.stringify(extra));
      assert.match(JSON.stringify(parsed.error!.issues), message);
    }
  });

  it('runs checked creation and revocation statements with quoted placeholders', async () => {
    const adapter = rig().adapter({
      roles: {
        custom: {
          creation_statements: ['CREATE ROLE {{name}} LOGIN PASSWORD {{password}} VALID UNTIL {{expiration}}', 'GRANT SELECT ON items TO {{name}};'],
          revocation_statements: ['REVOKE SELECT ON items FROM {{name}}', "COMMENT ON TABLE items IS 'revoked by crefgate'"],
        },
      },
    });
    const cred = await adapter.issue(issueRequest('custom'));
    const client = await login(cred.value as Value);
    assert.equal((await client.query('SELECT count(*)::int AS n FROM items')).rows[0].n, 2);
    await assert.rejects(client.query('SELECT * FROM secrets'));
    // Revoked as the orphan sweeper would: from the listed handle, whose role comes from the intent comment.
    const [listed] = await adapter.listIssued(signal());
    assert.deepEqual(listed!.handle, cred.handle);
    const outcome = (await adapter.revoke({ handle: listed!.handle, signal: signal() })) as Record<string, unknown>;
    assert.equal(outcome.user_dropped, true);
    assert.equal((await rig().admin("SELECT obj_description('items'::regclass, 'pg_class') AS c")).rows[0].c, 'revoked by crefgate');
    await rig().admin('COMMENT ON TABLE items IS NULL');
  });

  it('works with a least-privilege admin: CREATEROLE, pg_signal_backend, ADMIN OPTION on the group roles', async () => {
    await rig().admin("CREATE ROLE cgadmin LOGIN CREATEROLE PASSWORD 'cgadmin-password'");
    await rig().admin('GRANT pg_signal_backend TO cgadmin');
    await rig().admin('GRANT app_read TO cgadmin WITH ADMIN OPTION');
    const options = manifest.optionsSchema.parse(rig().options({ connection: { host: '127.0.0.1', port: rig().server.port, database: 'postgres', user: 'cgadmin', password_env: 'CG' } }));
    const adapter = create(options, { mount: 'pg', stateDir: '/', configDir: '/' }, { env: { CG: 'cgadmin-password' } });
    try {
      const cred = await adapter.issue(issueRequest('readonly'));
      const value = cred.value as Value;
      const session = await login(value);
      await session.query('CREATE TABLE made_by_user (x int)');
      const outcome = await adapter.revoke({ handle: cred.handle, signal: signal() });
      assert.deepEqual({ ...outcome, user: undefined }, { user: undefined, sessions_terminated: 1, user_dropped: true, already_gone: false });
      const owner = await rig().admin("SELECT tableowner FROM pg_tables WHERE tablename = 'made_by_user'");
      assert.equal(owner.rows[0].tableowner, 'cgadmin');
      assert.deepEqual(await prefixed(), []);
    } finally {
      await adapter.close();
      await rig().admin('DROP TABLE IF EXISTS made_by_user');
    }
  });

  it('never lists its own admin role as issued, even when its name has the prefix', async () => {
    await rig().admin("CREATE ROLE cg_operator LOGIN SUPERUSER PASSWORD 'cg-operator-password'");
    try {
      const options = manifest.optionsSchema.parse(rig().options({ connection: { host: '127.0.0.1', port: rig().server.port, database: 'postgres', user: 'cg_operator', password_env: 'CG' } }));
      const adapter = create(options, { mount: 'pg', stateDir: '/', configDir: '/' }, { env: { CG: 'cg-operator-password' } });
      const cred = await adapter.issue(issueRequest('readonly'));
      assert.deepEqual((await adapter.listIssued(signal())).map((c) => c.id), [(cred.value as Value).username]);
      await adapter.revoke({ handle: cred.handle, signal: signal() });
      await adapter.close();
    } finally {
      await rig().admin('DROP ROLE cg_operator');
    }
  });

  it('refuses static reads and maps a wrong admin password to permission_denied', async () => {
    await rejectsKind(rig().adapter().read({ path: 'x', signal: signal() }), 'invalid_reference', /only issue dynamic/);
    const parsed = manifest.optionsSchema.parse(rig().options());
    const wrong = create(parsed, { mount: 'pg', stateDir: '/', configDir: '/' }, { env: { CREFGATE_TEST_PG_ADMIN: 'wrong-password' } });
    try {
      await rejectsKind(wrong.health(signal()), 'permission_denied', /28P01/);
      await rejectsKind(wrong.issue(issueRequest('readonly')), 'permission_denied');
    } finally {
      await wrong.close();
    }
    assert.deepEqual(await prefixed(), []);
  });
});
