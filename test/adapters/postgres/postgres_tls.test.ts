/**
 * The postgres adapter's admin connection over TLS to a private cluster with a throwaway CA: verified against the
 * configured CA file, and refused (as unavailable, nothing created) when the server's certificate is not from it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { create } from '../../../adapters/postgres/adapter.ts';
import { manifest } from '../../../adapters/postgres/index.ts';
import { rejectsKind } from '../../helpers/adapter_errors.ts';
import { PrivatePostgres, postgresMissing } from './private_postgres.ts';
import { createThrowawayPki } from '../../helpers/throwaway_ca.ts';
import { issueRequest } from '../sql_users/issue_request.ts';

describe('postgres adapter over TLS (private cluster, throwaway CA)', function () {
  this.timeout(60_000);
  let server: PrivatePostgres;
  let dir: string;

  before(async function () {
    const missing = postgresMissing();
    if (missing !== undefined) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    const pki = await createThrowawayPki('crefgate-pg-test-ca');
    const other = await createThrowawayPki('someone-else');
    dir = await mkdtemp(path.join(tmpdir(), 'crefgate-pg-tls-'));
    await writeFile(path.join(dir, 'ca.pem'), pki.caCert);
    await writeFile(path.join(dir, 'other-ca.pem'), other.caCert);
    server = await PrivatePostgres.start({ tls: { cert: pki.serverCert, key: pki.serverKey } });
  });
  after(async () => {
    await server?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const adapter = (caFile: string) => {
    const options = manifest.optionsSchema.parse({
      connection: { host: '127.0.0.1', port: server.port, database: 'postgres', user: server.adminUser, password_env: 'PG', tls: { ca_file: caFile } },
      roles: { readonly: { creation_statements: ['CREATE ROLE {{name}} LOGIN PASSWORD {{password}} VALID UNTIL {{expiration}}'] } },
    });
    return create(options, { mount: 'pgtls', stateDir: dir, configDir: dir }, { env: { PG: server.adminPassword } });
  };

  it('connects over verified TLS with the configured CA and issues and revokes', async () => {
    const a = adapter('ca.pem');
    try {
      const cred = await a.issue(issueRequest('readonly'));
      const admin = new pg.Client({ host: '127.0.0.1', port: server.port, user: server.adminUser, password: server.adminPassword, database: 'postgres', ssl: false });
      await admin.connect();
      try {
        const { rows } = await admin.query("SELECT bool_and(s.ssl) AS all_tls, count(*)::int AS n FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'crefgate:pgtls'");
        assert.deepEqual(rows[0], { all_tls: true, n: rows[0].n });
        assert.ok(rows[0].n >= 1);
      } finally {
        await admin.end();
      }
      assert.equal(((await a.revoke({ handle: cred.handle, signal: AbortSignal.timeout(5000) })) as Record<string, unknown>).user_dropped, true);
    } finally {
      await a.close();
    }
  });

  it('refuses a server whose certificate is not from the configured CA, creating nothing', async () => {
    const a = adapter('other-ca.pem');
    try {
      await rejectsKind(a.issue(issueRequest('readonly')), 'unavailable', /TLS verification failed \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/);
      await rejectsKind(a.health(AbortSignal.timeout(5000)), 'unavailable');
    } finally {
      await a.close();
    }
    const good = adapter('ca.pem');
    try {
      assert.deepEqual(await good.listIssued(AbortSignal.timeout(5000)), []);
    } finally {
      await good.close();
    }
  });
});
