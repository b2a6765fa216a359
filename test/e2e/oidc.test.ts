/**
 * Workload OIDC identity on the bootstrap listener: tokens from a local issuer emulator (discovery + JWKS on
 * 127.0.0.1) resolve envelopes in place of a client certificate; every bad token is refused at step 1 (tls),
 * and claims that map to an executor but not to a grant are refused at scope.
 */
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { envelopeBody, type Envelope } from '../../src/client/index.ts';
import { refused } from '../helpers/assertions.ts';
import { bootstrapCall, bootstrapListener, oidcIssuer } from '../helpers/bootstrap.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { startOidcEmulator, type OidcEmulator } from '../emulators/oidc/server.ts';
import { oidcConfigSchema } from '../../src/identity/oidc/config.ts';
import type { CrefgateError } from '../../src/client/index.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('workload OIDC identity', () => {
  let gw: TestGateway;
  let gha: OidcEmulator;
  let stranger: OidcEmulator;
  // A second trusted issuer configured with the schema's defaults (no test-only cooldown), for rotation timing.
  let rot: OidcEmulator;
  const main = { repository: 'org/app', ref: 'refs/heads/main', sha: 'a'.repeat(40), workflow: 'deploy' };
  const issue = (executor = 'exec-gha', crefs: Record<string, string> = { npm: 'cref://tenant_abc/npm_token' }) =>
    gw.client('coordinator').issueJob({ tenant: 'tenant_abc', executor, crefs, ttl: 600 });
  const resolveWith = (envelope: Envelope, token?: string) => bootstrapCall<{ secrets: Record<string, { value: string }> }>(gw, '/v1/resolve', envelopeBody(envelope), token);

  before(async () => {
    gha = await startOidcEmulator({ path: '/gha' });
    stranger = await startOidcEmulator();
    rot = await startOidcEmulator({ path: '/rot' });
    gw = await startGateway({
      mutate(config) {
        config.bootstrap = bootstrapListener();
        config.oidc.issuers = [
          oidcIssuer(gha.issuer, [
            { executor: 'exec-gha', tenant: 'tenant_abc', claims: { repository: 'org/app' } },
            { executor: 'exec-01', tenant: 'tenant_abc', claims: { repository: 'org/legacy' } },
          ]),
          ...oidcConfigSchema.parse({
            issuers: [{ issuer: rot.issuer, audiences: ['crefgate'], executors: [{ executor: 'exec-gha', tenant: 'tenant_abc', claims: { repository: 'org/app' } }] }],
          }).issuers,
        ];
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
    await rot.close();
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
    const expired = resolveWith(await issue(), await gha.sign(main, { nowSeconds: old }));
    line = await refused(gw, expired, 'expired', 'tls');
    assert.match(line.reason!, /identity token expired/);
    // Regression (issue 15.5): the client read "the envelope or job has expired" for its expired identity token.
    const err = (await expired.then(() => assert.fail('expired token accepted'), (e: unknown) => e)) as CrefgateError;
    assert.match(err.message, /identity token \(OIDC\) expired, not the envelope/);
  });

  // Regression (issue 15.5): with the default 30 s cooldown, a token signed with a freshly rotated key was
  // refused for up to 30 s after the last JWKS fetch. The default now refetches at most once per 5 s per issuer.
  it('honours an issuer key rotation within seconds under the default cooldown', async function () {
    this.timeout(15_000);
    await resolveWith(await issue(), await rot.sign(main)); // the JWKS is fetched now
    await rot.rotate();
    const rotatedAt = Date.now();
    for (;;) {
      const ok = await resolveWith(await issue(), await rot.sign(main)).then(() => true, () => false);
      if (ok) break;
      assert.ok(Date.now() - rotatedAt < 7000, 'a rotated key is still refused 7 s after the rotation');
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  it('refetches the JWKS at most once per cooldown however many unknown kids arrive', async function () {
    this.timeout(15_000);
    await new Promise((r) => setTimeout(r, 5100)); // past the cooldown of the rotation test above
    const before = rot.jwksFetches();
    const envelope = await issue();
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, n) => rot.sign(main, { header: { kid: `random-${n}` } })));
    const outcomes = await Promise.allSettled(tokens.map((token) => resolveWith(envelope, token)));
    assert.ok(outcomes.every((o) => o.status === 'rejected' && (o.reason as CrefgateError).code === 'unauthenticated'));
    const fetched = rot.jwksFetches() - before;
    assert.ok(fetched >= 1 && fetched <= 1, `20 unknown kids fetched the JWKS ${fetched} times`);
  });

  // Regression (issue 15.5): a refused workload token was audited as an anonymous actor with nothing to trace it.
  it('audits a refused token with its keyed digest and the issuer and subject it claimed', async () => {
    const token = await gha.sign({ ...main, repository: 'org/fork', sub: 'repo:org/fork:ref:refs/heads/main' });
    const line = await refused(gw, resolveWith(await issue(), token), 'unauthenticated', 'tls');
    assert.deepEqual(line.actor, { type: 'unknown', id: 'claimed:repo:org/fork:ref:refs/heads/main', auth: 'oidc' });
    const detail = line.detail as Record<string, unknown>;
    assert.equal(detail.claimed_issuer, gha.issuer);
    assert.equal(detail.claimed_subject, 'repo:org/fork:ref:refs/heads/main');
    assert.equal(detail.claims_verified, false);
    const sensitive = line.sensitive as Record<string, string>;
    assert.equal(sensitive.oidc_token, gw.gateway.services.audit.hash(undefined, token));
    assert.ok(!JSON.stringify(await gw.auditLines()).includes(token), 'the clear token reached the audit trail');
    // A bearer that is no JWT at all still leaves its digest, with nothing claimed.
    const junk = await refused(gw, resolveWith(await issue(), 'garbage'), 'unauthenticated', 'tls');
    assert.deepEqual(junk.actor, { type: 'unknown', id: 'claimed:?', auth: 'oidc' });
    assert.equal((junk.sensitive as Record<string, string>).oidc_token, gw.gateway.services.audit.hash(undefined, 'garbage'));
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
