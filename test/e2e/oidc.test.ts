/**
 * Workload OIDC identity on the bootstrap listener: tokens from a local issuer emulator (discovery + JWKS on
 * 127.0.0.1) resolve envelopes in place of a client certificate; every bad token is refused at step 1 (tls),
 * and claims that map to an executor but not to a grant are refused at scope.
 */
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { envelopeBody, type Envelope } from '../../src/client/index.ts';
import { refused } from '../helpers/assertions.ts';
import { bootstrapCall } from '../helpers/bootstrap.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { startOidcEmulator, type OidcEmulator } from '../emulators/oidc/server.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('workload OIDC identity', () => {
  let gw: TestGateway;
  let gha: OidcEmulator;
  let stranger: OidcEmulator;
  const main = { repository: 'org/app', ref: 'refs/heads/main', sha: 'a'.repeat(40), workflow: 'deploy' };
  const issue = (executor = 'exec-gha', crefs: Record<string, string> = { npm: 'cref://tenant_abc/npm_token' }) =>
    gw.client('coordinator').issueJob({ tenant: 'tenant_abc', executor, crefs, ttl: 600 });
  const resolveWith = (envelope: Envelope, token?: string) => bootstrapCall<{ secrets: Record<string, { value: string }> }>(gw, '/v1/resolve', envelopeBody(envelope), token);

  before(async () => {
    gha = await startOidcEmulator({ path: '/gha' });
    stranger = await startOidcEmulator();
    gw = await startGateway({
      mutate(config) {
        config.bootstrap = { host: '127.0.0.1', port: 0, ca_cert_file: 'pki/ca.crt', ca_key_file: 'pki/ca.key', certificate_lifetime_seconds: 86_400, join_token_ttl_seconds: 600 };
        config.oidc.issuers = [{
          issuer: gha.issuer, audiences: ['crefgate'], algorithms: ['RS256'], jwks_cooldown_seconds: 0, jwks_cache_seconds: 600,
          executors: [
            { executor: 'exec-gha', tenant: 'tenant_abc', claims: { repository: 'org/app' } },
            { executor: 'exec-01', tenant: 'tenant_abc', claims: { repository: 'org/legacy' } },
          ],
        }];
        config.tenants.tenant_abc!.grants = [
          { id: 'deploy-from-main', effect: 'allow', executors: ['exec-gha'], claims: { ref: ['refs/heads/main'], workflow: ['deploy'] }, crefs: ['cref://tenant_abc/npm_token'] },
        ];
      },
    });
    await gw.client('admin').registerExecutor({ id: 'exec-gha', tenant: 'tenant_abc', identities: ['spiffe://crefgate.local/tenant/tenant_abc/executor/exec-gha'] });
  });
  after(async () => {
    await gw.close();
    await gha.close();
    await stranger.close();
  });

  it('resolves with a token whose claims map to the executor and satisfy the grant (keys found by discovery)', async () => {
    const envelope = await issue();
    const result = await resolveWith(envelope, await gha.sign(main));
    assert.match(result.secrets.npm!.value, /^npm_demo_/);
    const line = (await gw.auditLines()).find((l) => l.action === 'resolve' && l.outcome === 'granted' && l.job_id === envelope.payload.job_id)!;
    assert.equal((line.actor as { auth: string }).auth, 'oidc');
    assert.deepEqual((line.detail as { rules: string[] }).rules, ['tenant tenant_abc grant deploy-from-main']);
  });

  it('refuses a token from an issuer that is not trusted', async () => {
    const line = await refused(gw, resolveWith(await issue(), await stranger.sign(main)), 'unauthenticated', 'tls');
    assert.match(line.reason!, /issuer is not trusted/);
  });

  it('refuses a token claiming the trusted issuer but signed with a key it never published (unknown kid)', async () => {
    const before = gha.jwksFetches();
    const line = await refused(gw, resolveWith(await issue(), await gha.sign(main, { key: await gha.unpublishedKey() })), 'unauthenticated', 'tls');
    assert.match(line.reason!, /no key of the issuer matches/);
    assert.ok(gha.jwksFetches() > before, 'an unknown kid triggers a JWKS refetch');
  });

  it('picks up a key the issuer rotated in, on the first token that names it', async () => {
    await gha.rotate();
    await resolveWith(await issue(), await gha.sign(main));
  });

  it('refuses a wrong audience and an expired token', async () => {
    let line = await refused(gw, resolveWith(await issue(), await gha.sign({ ...main, aud: 'someone-else' })), 'unauthenticated', 'tls');
    assert.match(line.reason!, /claim aud/);
    const old = Math.floor(Date.now() / 1000) - 3600;
    line = await refused(gw, resolveWith(await issue(), await gha.sign(main, { nowSeconds: old })), 'expired', 'tls');
    assert.match(line.reason!, /expired/);
  });

  it('refuses alg confusion: HS256 keyed with the public key, alg none, and keys or key URLs in the header', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: gha.issuer, sub: 's', aud: 'crefgate', iat: now, exp: now + 300, ...main };
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'emu-0' }).sign(Buffer.from(gha.publicPem()));
    const none = `${b64({ alg: 'none', kid: 'emu-0' })}.${b64(claims)}.`;
    for (const token of [hs, none]) {
      const line = await refused(gw, resolveWith(await issue(), token), 'unauthenticated', 'tls');
      assert.match(line.reason!, /alg .* is not allowed/);
    }
    for (const header of [{ jku: 'http://127.0.0.1:1/keys' }, { jwk: { kty: 'oct', k: 'AAAA' } }, { x5u: 'http://127.0.0.1:1/x' }, { x5c: ['MIIBfake'] }]) {
      const line = await refused(gw, resolveWith(await issue(), await gha.sign(main, { header })), 'unauthenticated', 'tls');
      assert.match(line.reason!, /header .* is not allowed/);
    }
  });

  it('refuses claims that map to no executor at tls, and claims outside the grant at scope', async () => {
    let line = await refused(gw, resolveWith(await issue(), await gha.sign({ ...main, repository: 'org/fork' })), 'unauthenticated', 'tls');
    assert.match(line.reason!, /match no executor mapping/);
    line = await refused(gw, resolveWith(await issue(), await gha.sign({ ...main, ref: 'refs/heads/feature' })), 'forbidden', 'scope');
    assert.match(line.reason!, /claims of exec-gha match no grant/);
  });

  it('binds the token to its executor and tenant: misdirected envelopes and disabled executors are refused', async () => {
    await refused(gw, resolveWith(await issue('exec-01', { gh: 'cref://tenant_abc/github_token' }), await gha.sign(main)), 'forbidden', 'executor');
    const pending = await issue();
    await gw.client('admin').setExecutorEnabled('exec-gha', false);
    try {
      await refused(gw, resolveWith(pending, await gha.sign(main)), 'forbidden', 'executor');
    } finally {
      await gw.client('admin').setExecutorEnabled('exec-gha', true);
    }
    await resolveWith(pending, await gha.sign(main));
  });

  it('refuses a resolve on the bootstrap listener without a bearer token, or with another scheme', async () => {
    await refused(gw, resolveWith(await issue()), 'unauthenticated', 'tls');
    const envelope = await issue();
    await refused(gw, bootstrapCall(gw, '/v1/resolve', envelopeBody(envelope), 'not a jwt at all'), 'unauthenticated', 'tls');
  });
});
