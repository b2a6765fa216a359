/**
 * crefgate as the executors' CA: a CSR plus a one-time join token (or an OIDC token) on the bootstrap listener
 * yields a short-lived certificate bound to the registration, usable over mTLS until the executor is disabled.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CrefgateClient, type CrefgateError } from '../../src/client/index.ts';
import { refused } from '../helpers/assertions.ts';
import { bootstrapCall, bootstrapListener, makeCsr, oidcIssuer, strayKey } from '../helpers/bootstrap.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { startOidcEmulator, type OidcEmulator } from '../emulators/oidc/server.ts';

const uriOf = (id: string) => `spiffe://crefgate.local/tenant/tenant_abc/executor/${id}`;

interface Issued {
  executor: string;
  spiffe_id: string;
  certificate: string;
  ca: string;
  expires_at: number;
}

describe('executor certificates from the bootstrap listener', () => {
  let gw: TestGateway;
  let oidc: OidcEmulator;
  const admin = () => gw.client('admin');
  const joinToken = async (id: string) => (await admin().createJoinToken(id)).join_token;
  const certify = (id: string, body: Record<string, unknown>) => bootstrapCall<Issued>(gw, `/v1/executors/${id}/certificate`, body);
  const register = (id: string, identities = [uriOf(id)]) => admin().registerExecutor({ id, tenant: 'tenant_abc', identities, allowed_crefs: ['cref://tenant_abc/**'] });
  const clientWith = (cert: string, key: string) =>
    new CrefgateClient({ url: gw.url, ca: readFileSync(path.join(gw.dir, 'pki', 'ca.crt')), cert, key });
  const issue = (executor: string) =>
    gw.client('coordinator').issueJob({ tenant: 'tenant_abc', executor, crefs: { gh: 'cref://tenant_abc/github_token' }, ttl: 600 });

  before(async () => {
    oidc = await startOidcEmulator();
    gw = await startGateway({
      mutate(config) {
        config.bootstrap = bootstrapListener(3600);
        config.oidc.issuers = [oidcIssuer(oidc.issuer, [{ executor: 'exec-ci', tenant: 'tenant_abc', claims: { repository: 'org/app' } }], 30)];
      },
    });
    for (const id of ['exec-boot', 'exec-ci', 'exec-off']) await register(id);
    await register('exec-pinned', ['sha256:' + '0'.repeat(64)]);
  });
  after(async () => {
    await gw.close();
    await oidc.close();
  });

  it('issues a certificate bound to the registration, ignoring the names in the CSR, and it works over mTLS', async () => {
    const { csr, keyPem } = await makeCsr({ subject: 'CN=admin', uri: uriOf('exec-01') });
    const issued = await certify('exec-boot', { csr, join_token: await joinToken('exec-boot') });
    const cert = new X509Certificate(issued.certificate);
    assert.equal(cert.subjectAltName, `URI:${uriOf('exec-boot')}`);
    assert.equal(issued.spiffe_id, uriOf('exec-boot'));
    const lifetime = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 1000;
    assert.ok(lifetime <= 3600 + 60 && lifetime > 3000, `lifetime ${lifetime}`);
    assert.ok(cert.checkIssued(new X509Certificate(issued.ca)));
    const client = clientWith(issued.certificate, keyPem);
    try {
      await client.resolve(await issue('exec-boot'));
    } finally {
      client.close();
    }
    const line = (await gw.auditLines()).find((l) => l.action === 'executor.certificate' && l.outcome === 'granted')!;
    assert.equal((line.actor as { auth: string }).auth, 'join_token');
    assert.match(JSON.stringify(line.sensitive ?? line), /hmac-sha256:/);
  });

  it('accepts a join token once only, and only for its own executor', async () => {
    const token = await joinToken('exec-boot');
    await certify('exec-boot', { csr: (await makeCsr()).csr, join_token: token });
    await refused(gw, certify('exec-boot', { csr: (await makeCsr()).csr, join_token: token }), 'unauthenticated', 'auth');
    const other = await joinToken('exec-ci');
    await refused(gw, certify('exec-boot', { csr: (await makeCsr()).csr, join_token: other }), 'forbidden', 'auth');
    await refused(gw, certify('exec-ci', { csr: (await makeCsr()).csr, join_token: other }), 'unauthenticated', 'auth'); // burned by the misuse
    await refused(gw, certify('exec-boot', { csr: (await makeCsr()).csr, join_token: `cjt_${'A'.repeat(43)}` }), 'unauthenticated', 'auth');
  });

  it('refuses a CSR whose signature is not made by its own key, without spending the token', async () => {
    const token = await joinToken('exec-boot');
    const line = await refused(gw, certify('exec-boot', { csr: (await makeCsr({ signWith: await strayKey() })).csr, join_token: token }), 'malformed', 'shape');
    assert.match(line.reason!, /signature does not verify/);
    await refused(gw, certify('exec-boot', { csr: 'not a csr', join_token: token }), 'malformed', 'shape');
    await refused(gw, certify('exec-boot', { csr: (await makeCsr()).csr }), 'malformed', 'shape');
    await certify('exec-boot', { csr: (await makeCsr()).csr, join_token: token });
  });

  it('refuses certificates for disabled executors, and their existing certificates before they expire', async () => {
    const { csr, keyPem } = await makeCsr();
    const issued = await certify('exec-off', { csr, join_token: await joinToken('exec-off') });
    const spare = await joinToken('exec-off');
    const pending = await issue('exec-off');
    await admin().setExecutorEnabled('exec-off', false);
    const client = clientWith(issued.certificate, keyPem);
    try {
      await refused(gw, client.resolve(pending), 'forbidden', 'executor');
    } finally {
      client.close();
    }
    await refused(gw, certify('exec-off', { csr: (await makeCsr()).csr, join_token: spare }), 'forbidden', 'executor');
    await refused(gw, admin().createJoinToken('exec-off'), 'forbidden', 'executor');
  });

  it('refuses a registration that does not bind the SPIFFE ID, and non-admins creating join tokens', async () => {
    await refused(gw, certify('exec-pinned', { csr: (await makeCsr()).csr, join_token: await joinToken('exec-pinned') }), 'forbidden', 'executor');
    await refused(gw, gw.client('executor').createJoinToken('exec-01'), 'forbidden', 'auth');
    await refused(gw, admin().createJoinToken('exec-nobody'), 'not_found', 'policy');
  });

  it('issues for an OIDC token that maps to the executor, and refuses one that maps elsewhere', async () => {
    const token = await oidc.sign({ repository: 'org/app' });
    const issued = await certify('exec-ci', { csr: (await makeCsr()).csr, oidc_token: token });
    assert.equal(new X509Certificate(issued.certificate).subjectAltName, `URI:${uriOf('exec-ci')}`);
    await refused(gw, certify('exec-boot', { csr: (await makeCsr()).csr, oidc_token: token }), 'forbidden', 'auth');
    await refused(gw, certify('exec-ci', { csr: (await makeCsr()).csr, oidc_token: await oidc.sign({ repository: 'org/other' }) }), 'unauthenticated', 'tls');
  });

  it('serves nothing else on the bootstrap listener', async () => {
    for (const route of ['/v1/executors', '/v1/jobs', '/v1/jobs/job_x/complete', '/v1/executors/exec-boot/rotate']) {
      await assert.rejects(bootstrapCall(gw, route, {}), (err: CrefgateError) => err.code === 'not_found');
    }
    // Lease renewal and revocation are served for workload-token executors only (test/e2e/oidc_renew.test.ts).
    for (const route of ['/v1/leases/renew', '/v1/leases/revoke']) {
      await assert.rejects(bootstrapCall(gw, route, {}), (err: CrefgateError) => err.code === 'unauthenticated');
    }
  });
});
