/**
 * The mysql adapter against a real, private MariaDB 10.11: the tests log in as the issued account with mysql2.
 * Skipped (with the reason) only when the server binaries are missing.
 */
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { create } from '../../../adapters/mysql/adapter.ts';
import { manifest } from '../../../adapters/mysql/index.ts';
import { withResilience } from '../../../adapters/resilience.ts';
import { rejectsKind } from '../../helpers/adapter_errors.ts';
import { signal as boundedSignal } from '../../helpers/kit.ts';
import { mariadbMissing } from './private_mariadb.ts';
import { issueRequest } from '../sql_users/issue_request.ts';
import { usePrivateRig } from '../sql_users/private_rig.ts';
import { killOnceAt, RETRY_THROUGH_ONE_FAULT } from '../sql_users/revoke_faults.ts';
import { startMysqlRig, type MysqlRig } from './mysql_fixture.ts';

// Database round trips (role creation, revocation) get twice the kit's default bound.
const signal = () => boundedSignal(10_000);
type Value = Record<string, string>;

describe('mysql adapter (private MariaDB)', function () {
  this.timeout(60_000);
  const { rig, login } = usePrivateRig<mysql.Connection, MysqlRig>(mariadbMissing, startMysqlRig);

  const accounts = async () => (await rig().admin("SELECT User FROM mysql.user WHERE User LIKE 'cg\\_%'")).map((r) => r.User as string);
  /** Kills every admin connection but the one asking (the adapter's pool among them). */
  const killAdmins = async () => {
    const admins = await rig().admin("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'root' AND ID <> CONNECTION_ID()");
    for (const { ID } of admins) await rig().admin(`KILL CONNECTION ${Number(ID)}`).catch(() => undefined);
  };
  const intents = async () => (await rig().admin('SELECT username FROM crefgate.issued_users')).map((r) => r.username as string);

  it('issues an account that may read what its role grants and nothing else, with an intent row', async () => {
    const adapter = rig().adapter();
    const cred = await adapter.issue(issueRequest('readonly'));
    const value = cred.value as Value;
    assert.match(value.username!, /^cg_[a-z0-9_]+$/);
    assert.ok(value.username!.length <= 32, 'fits MySQL 32-character user names');
    assert.ok(value.password!.length >= 24);
    assert.equal(value.uri, `mysql://${value.username}:${value.password}@127.0.0.1:${rig().server.port}/appdb`);
    assert.deepEqual(await intents(), [value.username]);
    const conn = await login(value);
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT label FROM items ORDER BY id');
    assert.deepEqual(rows.map((r) => r.label), ['one', 'two']);
    await assert.rejects(conn.query('SELECT * FROM secrets'), (err: { errno?: number }) => err.errno === 1142);
    await assert.rejects(conn.query('CREATE USER x'), (err: { errno?: number }) => err.errno === 1227);
    assert.ok(!JSON.stringify(cred.handle).includes(value.password!));
    assert.deepEqual((await adapter.listIssued(signal())).map((c) => c.handle), [cred.handle], 'the sweeper would revoke it exactly as the lease would');
    await adapter.revoke({ handle: cred.handle, signal: signal() });
  });

  it('revokes by killing open connections around DROP USER; a new login is refused; twice is fine', async () => {
    const adapter = rig().adapter();
    const cred = await adapter.issue(issueRequest('readonly'));
    const value = cred.value as Value;
    const session = await login(value);
    const second = await login(value);
    const outcome = await adapter.revoke({ handle: cred.handle, signal: signal() });
    assert.deepEqual(outcome, { user: value.username, sessions_terminated: 2, user_dropped: true, already_gone: false });
    await assert.rejects(session.query('SELECT 1'), 'the open connection is gone');
    await assert.rejects(second.query('SELECT 1'));
    await assert.rejects(rig().login(value.username!, value.password!), (err: { errno?: number }) => err.errno === 1045);
    assert.deepEqual(await accounts(), []);
    assert.deepEqual(await intents(), []);
    assert.deepEqual(await adapter.revoke({ handle: cred.handle, signal: signal() }), {
      user: value.username, sessions_terminated: 0, user_dropped: false, already_gone: true,
    });
  });

  it('renews within the job end while the account exists, and not after revocation', async () => {
    const adapter = rig().adapter({ default_ttl_seconds: 60 });
    const cred = await adapter.issue(issueRequest('readonly', { jobSeconds: 600 }));
    assert.equal(cred.leaseDuration, 60);
    assert.equal((await adapter.renew({ handle: cred.handle, incrementSeconds: 300, signal: signal() })).leaseDuration, 300);
    assert.ok((await adapter.renew({ handle: cred.handle, incrementSeconds: 86_400, signal: signal() })).leaseDuration <= 600);
    await adapter.revoke({ handle: cred.handle, signal: signal() });
    await rejectsKind(adapter.renew({ handle: cred.handle, incrementSeconds: 60, signal: signal() }), 'not_found');
  });

  it('gives 50 concurrent issues 50 distinct accounts', async () => {
    const adapter = rig().adapter({ pool_size: 10 });
    const creds = await Promise.all(Array.from({ length: 50 }, () => adapter.issue(issueRequest('readonly'))));
    assert.equal(new Set(creds.map((c) => (c.value as Value).username)).size, 50);
    const sample = await login(creds[17]!.value as Value);
    const [rows] = await sample.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM items');
    assert.equal(Number(rows[0]!.n), 2);
    await Promise.all(creds.map((c) => adapter.revoke({ handle: c.handle, signal: signal() })));
    assert.deepEqual(await accounts(), []);
  });

  it('finishes a revocation whose admin connection is killed mid-way, through the retry', async () => {
    const fault = killOnceAt('dropping', killAdmins);
    const adapter = withResilience(rig().adapter({}, { onRevokeStep: fault.onRevokeStep }), RETRY_THROUGH_ONE_FAULT);
    const cred = await adapter.issue!(issueRequest('readonly'));
    const session = await login(cred.value as Value);
    const outcome = (await adapter.revoke!({ handle: cred.handle, signal: signal() })) as Record<string, unknown>;
    assert.equal(fault.reached, 2, 'the first attempt failed on the dead connection and the retry ran the revoke again');
    assert.equal(fault.kills, 1);
    assert.ok(outcome.user_dropped === true || outcome.already_gone === true);
    await assert.rejects(session.query('SELECT 1'));
    assert.deepEqual(await accounts(), []);
    assert.deepEqual(await intents(), []);
  });

  it('says how far a failed revocation got, and the next attempt finishes it', async () => {
    const adapter = rig().adapter({}, { onRevokeStep: killOnceAt('dropping', killAdmins).onRevokeStep });
    const cred = await adapter.issue(issueRequest('readonly'));
    await login(cred.value as Value);
    const err = await rejectsKind(adapter.revoke({ handle: cred.handle, signal: signal() }), 'unavailable', /done before the failure: account locked, sessions ended: 1$/);
    assert.equal(err.retryable, true);
    const outcome = (await adapter.revoke({ handle: cred.handle, signal: signal() })) as Record<string, unknown>;
    assert.equal(outcome.user_dropped, true);
    assert.deepEqual(await accounts(), []);
  });

  it('lists an intent row whose account was never created (a crash between the two), and revoking it clears the row', async () => {
    const adapter = rig().adapter();
    await adapter.health(signal());
    await adapter.listIssued(signal()); // creates the bookkeeping table
    await rig().admin("INSERT INTO crefgate.issued_users VALUES ('cg_crashed_before_create', '%', 'job_x', 't', 1, 1, 'readonly')");
    const listed = await adapter.listIssued(signal());
    assert.deepEqual(listed.map((c) => [c.id, c.jobId, c.createdAt]), [['cg_crashed_before_create', 'job_x', 1]]);
    const outcome = await adapter.revoke({ handle: listed[0]!.handle, signal: signal() });
    assert.deepEqual(outcome, { user: 'cg_crashed_before_create', sessions_terminated: 0, user_dropped: false, already_gone: true });
    assert.deepEqual(await intents(), []);
  });

  it('refuses hostile route parameters at issuance and creates nothing', async () => {
    const adapter = rig().adapter();
    for (const path of ["readonly'; DROP USER root; --", 'readonly`', 'nope', 'x'.repeat(300)]) {
      await rejectsKind(adapter.issue(issueRequest(path)), 'invalid_reference', /names no configured role/);
    }
    // A field would silently be ignored or hand out half a credential: refused like STS and GitHub tokens.
    await rejectsKind(adapter.issue({ ...issueRequest('readonly'), field: 'password' }), 'invalid_reference', /no fields/);
    assert.deepEqual(await accounts(), []);
    const odd = await adapter.issue(issueRequest('readonly', { tenant: `t'\`; DROP USER root; --${'x'.repeat(80)}`, jobId: `job_"${'y'.repeat(200)}` }));
    const name = (odd.value as Value).username!;
    assert.match(name, /^cg_[a-z0-9_]+$/);
    assert.ok(name.length <= 32);
    await adapter.revoke({ handle: odd.handle, signal: signal() });
    assert.deepEqual(await accounts(), []);
  });

  it('refuses hostile or broken mount options at start-up', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ username_prefix: "cg'" }, /prefix/],
      [{ user_host: "%'; DROP USER root; --" }, /host pattern/],
      [{ admin_schema: 'crefgate`; DROP' }, /identifier/],
      [{ roles: { readonly: { grant_roles: ['app_read`, root'] } } }, /identifier/],
      [{ roles: { readonly: { creation_statements: ['CREATE USER {{name}} IDENTIFIED BY {{password}}; DROP USER root'] } } }, /more than one/],
      [{ roles: { readonly: { creation_statements: ['CREATE USER {{name}} IDENTIFIED BY {{password}} # x'] } } }, /comment/],
      [{ roles: { readonly: { creation_statements: ['CREATE USER {{name}} IDENTIFIED BY {{pw}}'] } } }, /unknown placeholder/],
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
          creation_statements: ['CREATE USER {{name}} IDENTIFIED BY {{password}}', 'GRANT SELECT ON appdb.items TO {{name}}'],
          revocation_statements: ['REVOKE ALL PRIVILEGES, GRANT OPTION FROM {{name}}'],
        },
      },
    });
    const cred = await adapter.issue(issueRequest('custom'));
    const conn = await login(cred.value as Value);
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM items');
    assert.equal(Number(rows[0]!.n), 2);
    await assert.rejects(conn.query('SELECT * FROM secrets'));
    assert.equal(((await adapter.revoke({ handle: cred.handle, signal: signal() })) as Record<string, unknown>).user_dropped, true);
  });

  it('works with a least-privilege admin (CREATE USER, PROCESS, CONNECTION ADMIN, the role WITH ADMIN OPTION)', async () => {
    await rig().admin("CREATE USER 'cgadmin'@'%' IDENTIFIED BY 'cgadmin-password'");
    await rig().admin("GRANT CREATE USER, PROCESS, CONNECTION ADMIN ON *.* TO 'cgadmin'@'%'");
    await rig().admin("GRANT SELECT, UPDATE ON mysql.* TO 'cgadmin'@'%'");
    await rig().admin("GRANT ALL PRIVILEGES ON crefgate.* TO 'cgadmin'@'%'");
    await rig().admin("GRANT app_read TO 'cgadmin'@'%' WITH ADMIN OPTION");
    const options = manifest.optionsSchema.parse(rig().options({ connection: { host: '127.0.0.1', port: rig().server.port, database: 'appdb', user: 'cgadmin', password_env: 'CG' } }));
    const adapter = create(options, { mount: 'my', stateDir: '/', configDir: '/' }, { env: { CG: 'cgadmin-password' } });
    try {
      const cred = await adapter.issue(issueRequest('readonly'));
      const session = await login(cred.value as Value);
      await session.query('SELECT * FROM items');
      const outcome = (await adapter.revoke({ handle: cred.handle, signal: signal() })) as Record<string, unknown>;
      assert.deepEqual([outcome.sessions_terminated, outcome.user_dropped], [1, true]);
      assert.deepEqual(await accounts(), []);
    } finally {
      await adapter.close();
    }
  });

  it('removes a half-made account when a grant fails, and maps a wrong admin password to permission_denied', async () => {
    const adapter = rig().adapter({ roles: { broken: { grant_roles: ['no_such_role'] } } });
    await rejectsKind(adapter.issue(issueRequest('broken')), 'invalid_reference');
    assert.deepEqual(await accounts(), []);
    assert.deepEqual(await intents(), []);
    const parsed = manifest.optionsSchema.parse(rig().options());
    const wrong = create(parsed, { mount: 'my', stateDir: '/', configDir: '/' }, { env: { CREFGATE_TEST_MYSQL_ADMIN: 'wrong' } });
    try {
      await rejectsKind(wrong.health(signal()), 'permission_denied', /1045/);
    } finally {
      await wrong.close();
    }
  });
});
