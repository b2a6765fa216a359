/**
 * GitHub App installation tokens end to end: executor → gateway → github-app adapter → @octokit/rest and
 * @octokit/auth-app → GitHub emulator. The token is narrowed to the route's repositories and permissions (or
 * the job's bound repository), revoked at GitHub when the job completes, replaced on renewal when it would
 * expire first, refused and revoked when GitHub grants more than asked; rate limits reach the client as
 * unavailable with Retry-After and open the mount's breaker; neither the App key nor a token reaches a log.
 * Runs on the memory store and on Redis (its own redis-server on a free port).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Octokit } from '@octokit/rest';
import { ExecutorSession, envelopeBody, type CrefgateClient, type Envelope } from '../../src/client/index.ts';
import { replaceLease } from '../../src/leases/replace_lease.ts';
import { runRevocations } from '../../src/leases/revocation_worker.ts';
import { stateConfigSchema } from '../../src/state/config.ts';
import { GitHubEmulator } from '../adapters/github-app/emulator/server.ts';
import { gatewayGithubMount } from '../adapters/github-app/github_fixture.ts';
import { startOidcEmulator, type OidcEmulator } from '../emulators/oidc/server.ts';
import { refused } from '../helpers/assertions.ts';
import { bootstrapCall, bootstrapListener, oidcIssuer } from '../helpers/bootstrap.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/raw_post.ts';
import { RedisServer } from '../helpers/redis_server.ts';
import { until } from '../helpers/until.ts';
import { makeTempFolder } from '../helpers/kit.ts';

const SHA = 'b'.repeat(40);

for (const store of ['memory', 'redis'] as const) describe(`github-app tokens through the gateway (${store} state)`, () => {
  let redis: RedisServer | undefined;
  let gh: GitHubEmulator;
  let oidc: OidcEmulator;
  let gw: TestGateway;
  let tmp: Awaited<ReturnType<typeof makeTempFolder>>;
  let coordinator: CrefgateClient;
  let executor: CrefgateClient;
  const minted: string[] = [];
  const issue = (crefs: Record<string, string>, extra: { executor?: string; bindings?: Record<string, string>; ttl?: number } = {}) =>
    coordinator.issueJob({ tenant: 'tenant_abc', executor: extra.executor ?? 'exec-01', crefs, ttl: extra.ttl ?? 600, ...(extra.bindings ? { bindings: extra.bindings } : {}) });
  const resolve = async (envelope: Envelope) => {
    const result = await executor.resolve(envelope, { hmacSecrets: gw.hmac });
    for (const s of Object.values(result.secrets)) if (typeof s.value === 'string') minted.push(s.value);
    return result;
  };
  const asToken = (token: string) => new Octokit({ baseUrl: gh.url, auth: token, log: { debug() {}, info() {}, warn() {}, error() {} } });

  before(async () => {
    tmp = await makeTempFolder('crefgate-github-');
    gh = await GitHubEmulator.start();
    gh.install('acme', { repositories: ['app', 'lib', 'infra'], permissions: { contents: 'write', metadata: 'read', issues: 'read' } });
    oidc = await startOidcEmulator({ path: '/gha' });
    const githubMount = await gatewayGithubMount(gh, tmp.path);
    const masterKey = path.join(tmp.path, 'master.key');
    await writeFile(masterKey, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    if (store === 'redis') redis = await RedisServer.start();
    gw = await startGateway({
      gateway: { workers: false },
      mutate(config) {
        if (redis !== undefined) config.state = stateConfigSchema.parse({ kind: 'redis', redis: { url: redis.url, master_keys: [{ key_id: 'm1', file: masterKey }] } });
        config.bootstrap = bootstrapListener();
        config.oidc.issuers = [oidcIssuer(oidc.issuer, [{ executor: 'exec-gha', tenant: 'tenant_abc', claims: { repository_owner: 'acme' } }])];
        config.tenants.tenant_abc!.grants = [{ id: 'ci', effect: 'allow', executors: ['exec-gha', 'exec-01'], crefs: ['cref://tenant_abc/**'] }];
        config.mounts.github = githubMount;
        config.routes.unshift(
          { cref: 'cref://{tenant}/github/{repo}', mount: 'github', path: '{repo}', dynamic: true, options: { permissions: { contents: 'read', metadata: 'read' } } },
          {
            cref: 'cref://{tenant}/github-proxied/{repo}',
            mount: 'github',
            path: '{repo}',
            dynamic: true,
            proxy: { upstream: 'https://api.github.com', methods: ['GET'], path_prefixes: ['/'], inject: { kind: 'header', header: 'authorization', template: 'token {value}' }, required: false },
          },
          {
            cref: 'cref://{tenant}/github-deploy/push',
            mount: 'github',
            path: '*',
            dynamic: true,
            options: { permissions: { contents: 'write' }, repositories: 'bound' },
            require_bindings: ['repository', 'sha'],
            binding_patterns: { ref: ['refs/heads/main'] },
          },
        );
      },
    });
    coordinator = gw.client('coordinator');
    executor = gw.client('executor');
    await gw.client('admin').registerExecutor({ id: 'exec-gha', tenant: 'tenant_abc', identities: ['spiffe://crefgate.local/tenant/tenant_abc/executor/exec-gha'] });
  });
  after(async () => {
    await gw.close();
    await gh.close();
    await oidc.close();
    await redis?.stop();
    await tmp.remove();
  });

  it('mints a token narrowed to the route, usable only there, bounded by the job, and revoked at GitHub on completion', async () => {
    assert.equal(gw.config.state.kind, store);
    const envelope = await issue({ gh: 'cref://tenant_abc/github/app' }, { ttl: 600 });
    const { secrets } = await resolve(envelope);
    const token = secrets.gh!.value as string;
    assert.match(token, /^ghs_/);
    assert.ok(secrets.gh!.expires_at <= envelope.payload.expires_at, 'the lease ends with the job at the latest');
    const record = gh.minted(token)!;
    assert.deepEqual(record.permissions, { contents: 'read', metadata: 'read' });
    assert.deepEqual(record.repositories.map((r) => r.full_name), ['acme/app']);
    assert.deepEqual(gh.requests.find((r) => r.path.endsWith('/access_tokens'))?.body, { repositories: ['app'], permissions: { contents: 'read', metadata: 'read' } });
    assert.equal((await asToken(token).rest.repos.get({ owner: 'acme', repo: 'app' })).status, 200);
    await assert.rejects(asToken(token).rest.repos.get({ owner: 'acme', repo: 'lib' }), { status: 404 });

    await executor.completeJob(envelope.payload.job_id);
    assert.equal(await runRevocations(gw.gateway.services, 'test'), 1);
    assert.equal(gh.minted(token)!.revoked, true);
    await assert.rejects(asToken(token).request('GET /installation/repositories'), { status: 401 });
    const revocation = (await gw.auditLines()).find((l) => l.action === 'revocation' && l.lease_ids?.includes(secrets.gh!.lease_id));
    assert.ok(revocation !== undefined, 'the revocation is audited');
    assert.equal(revocation.outcome, 'ok');
    assert.equal((revocation.detail as { cause: string }).cause, 'job_completed');
  });

  it('follows the job binding: a bound job gets a token for its own repository only (OIDC identity with matching claims)', async () => {
    const bindings = { repository: 'acme/lib', ref: 'refs/heads/main', sha: SHA };
    const envelope = await issue({ push: 'cref://tenant_abc/github-deploy/push' }, { executor: 'exec-gha', bindings });
    const claims = { repository_owner: 'acme', ...bindings };
    const result = await bootstrapCall<{ secrets: Record<string, { value: string; lease_id: string }> }>(gw, '/v1/resolve', envelopeBody(envelope), await oidc.sign(claims));
    const token = result.secrets.push!.value;
    minted.push(token);
    assert.deepEqual(gh.minted(token)!.repositories.map((r) => r.full_name), ['acme/lib']);
    assert.deepEqual(gh.minted(token)!.permissions, { contents: 'write' });
    await coordinator.completeJob(envelope.payload.job_id);
    await runRevocations(gw.gateway.services, 'test');
    assert.equal(gh.minted(token)!.revoked, true, 'the coordinator\'s completion revokes it');
  });

  it('refuses at issuance a deploy job without the required bindings, or on an unprotected ref', async () => {
    for (const bindings of [undefined, { repository: 'acme/lib', sha: SHA, ref: 'refs/heads/feature' }]) {
      await assert.rejects(issue({ push: 'cref://tenant_abc/github-deploy/push' }, { executor: 'exec-gha', ...(bindings ? { bindings } : {}) }), { code: 'forbidden' });
    }
  });

  it('refuses and revokes a token when GitHub grants more than was asked', async () => {
    gh.tamper = (answer) => ({ ...answer, permissions: { ...(answer.permissions as object), issues: 'read' } });
    const before = gh.model.tokens.size;
    try {
      const line = await refused(gw, resolve(await issue({ gh: 'cref://tenant_abc/github/app' })), 'unavailable', 'backend');
      assert.match(line.reason!, /integrity: .*permissions differs from the request; token refused and revoked/);
    } finally {
      gh.tamper = null;
    }
    const extra = [...gh.model.tokens.values()].slice(before);
    assert.equal(extra.length, 1);
    assert.equal(extra[0]!.revoked, true, 'the over-wide token was revoked at once');
  });

  it('replaces a token that would expire before the job on renewal, revokes the old one, and the SDK picks the new value up', async () => {
    gh.model.tokenLifetimeMs = 20_000;
    try {
      const envelope = await issue({ gh: 'cref://tenant_abc/github/infra' }, { ttl: 600 });
      const session = await ExecutorSession.start(executor, envelope, { hmacSecrets: gw.hmac, renewAt: 0.05 });
      const first = session.value('gh') as string;
      const firstLease = session.secrets.gh!.lease_id;
      minted.push(first);
      assert.ok(session.secrets.gh!.lease_duration <= 20, 'the lease ends with the token');
      const second = await until('a replacement token', async () => {
        const now = session.value('gh') as string;
        return now === first ? undefined : now;
      });
      minted.push(second);
      assert.notEqual(session.secrets.gh!.lease_id, firstLease, 'the replacement is its own lease');
      assert.deepEqual(gh.minted(second)!.repositories.map((r) => r.name), ['infra'], 'same scope');
      await runRevocations(gw.gateway.services, 'test');
      assert.equal(gh.minted(first)!.revoked, true, 'the old token is revoked through the queue');
      assert.equal(gh.minted(second)!.revoked, false);
      const renewal = (await gw.auditLines()).find((l) => l.action === 'lease.renew' && (l.detail as { replaced?: string }).replaced === firstLease);
      assert.ok(renewal !== undefined, 'the renewal names the lease it replaced');
      await session.complete();
      await runRevocations(gw.gateway.services, 'test');
      assert.equal(gh.minted(second)!.revoked, true, 'completion revokes the replacement');
    } finally {
      gh.model.tokenLifetimeMs = 3_600_000;
    }
  });

  it('never hands a replacement token to a coordinator renewing the lease: refused, and the minted token revoked', async () => {
    gh.model.tokenLifetimeMs = 20_000;
    try {
      const envelope = await issue({ gh: 'cref://tenant_abc/github/app' });
      const { secrets } = await resolve(envelope);
      const before = gh.model.tokens.size;
      const line = await refused(gw, coordinator.renewLease(secrets.gh!.lease_id, 300), 'forbidden', 'lease');
      assert.match(line.reason!, /only the lease's executor may receive a replacement/);
      const extra = [...gh.model.tokens.values()].slice(before);
      assert.equal(extra.length, 1);
      await runRevocations(gw.gateway.services, 'test');
      assert.equal(extra[0]!.revoked, true, 'the replacement nobody received is revoked');
      assert.equal(gh.minted(secrets.gh!.value as string)!.revoked, false, 'the executor keeps its token');
      assert.equal((await gw.gateway.services.state.leases.get(secrets.gh!.lease_id))!.state, 'active');
      await coordinator.completeJob(envelope.payload.job_id);
      await runRevocations(gw.gateway.services, 'test');
    } finally {
      gh.model.tokenLifetimeMs = 3_600_000;
    }
  });

  it('refuses to replace the token of a proxy-deliverable route by renewal (the proxy holds it by lease id)', async () => {
    gh.model.tokenLifetimeMs = 20_000;
    try {
      const envelope = await issue({ gh: 'cref://tenant_abc/github-proxied/app' });
      const { secrets } = await resolve(envelope);
      const before = gh.model.tokens.size;
      const line = await refused(gw, executor.renewLease(secrets.gh!.lease_id, 300), 'forbidden', 'lease');
      assert.match(line.reason!, /proxy-deliverable credential cannot be replaced/);
      await runRevocations(gw.gateway.services, 'test');
      assert.equal([...gh.model.tokens.values()].slice(before)[0]?.revoked, true);
      await executor.completeJob(envelope.payload.job_id);
      await runRevocations(gw.gateway.services, 'test');
    } finally {
      gh.model.tokenLifetimeMs = 3_600_000;
    }
  });

  it('a replacement that loses the race to a revocation of its old lease is revoked itself and refused', async () => {
    const envelope = await issue({ gh: 'cref://tenant_abc/github/lib' });
    const { secrets } = await resolve(envelope);
    const old = (await gw.gateway.services.state.leases.get(secrets.gh!.lease_id))!;
    await executor.revokeLease(old.leaseId); // ends the old lease first, as a concurrent renewal or completion would
    const services = gw.gateway.services;
    const fresh = await services.mounts.get('github').issue!({ path: 'lib', maxTtlSeconds: 600, job: { jobId: old.jobId, tenant: old.tenant, executor: old.executor, expiresAt: old.jobExpiresAt }, signal: AbortSignal.timeout(5000) });
    minted.push(fresh.value as string);
    await assert.rejects(replaceLease(services, { role: 'executor', id: old.executor, tenants: [], binding: 'x', fingerprint: 'x', auth: 'mtls' }, old, { leaseDuration: 600, value: fresh.value, handle: fresh.handle }, services.now()), { code: 'expired', step: 'lease' });
    const orphan = (await services.state.leases.listByJob(old.jobId)).find((l) => l.leaseId !== old.leaseId);
    assert.equal(orphan?.state, 'revoked', 'the replacement was recorded, then ended');
    await runRevocations(services, 'test');
    assert.equal(gh.minted(fresh.value as string)!.revoked, true, 'and its token revoked at GitHub');
    assert.equal(gh.minted(secrets.gh!.value as string)!.revoked, true);
  });

  it('a replacement for a job completed meanwhile is refused at its lease write and its token revoked', async () => {
    const envelope = await issue({ gh: 'cref://tenant_abc/github/lib' });
    const { secrets } = await resolve(envelope);
    const old = (await gw.gateway.services.state.leases.get(secrets.gh!.lease_id))!;
    const services = gw.gateway.services;
    const fresh = await services.mounts.get('github').issue!({ path: 'lib', maxTtlSeconds: 600, job: { jobId: old.jobId, tenant: old.tenant, executor: old.executor, expiresAt: old.jobExpiresAt }, signal: AbortSignal.timeout(5000) });
    minted.push(fresh.value as string);
    await executor.completeJob(envelope.payload.job_id); // the completion wins the race with the renewal
    const holder = { role: 'executor' as const, id: old.executor, tenants: [], binding: 'x', fingerprint: 'x', auth: 'mtls' as const };
    await assert.rejects(replaceLease(services, holder, old, { leaseDuration: 600, value: fresh.value, handle: fresh.handle }, services.now()), { code: 'expired', step: 'commit' });
    assert.equal((await services.state.leases.listByJob(old.jobId)).length, 1, 'no lease recorded for the replacement');
    await runRevocations(services, 'test');
    assert.equal(gh.minted(fresh.value as string)!.revoked, true, 'its token is revoked at GitHub');
  });

  it('a replacement whose renewal cannot be audited is never handed out, and its lease and token are ended', async () => {
    gh.model.tokenLifetimeMs = 20_000;
    const audit = gw.gateway.services.audit;
    const record = audit.record.bind(audit);
    try {
      const envelope = await issue({ gh: 'cref://tenant_abc/github/app' });
      const { secrets } = await resolve(envelope);
      const before = gh.model.tokens.size;
      audit.record = async (event) => {
        if (event.action === 'lease.renew' && event.outcome === 'ok') throw new Error('audit trail down (test)');
        return await record(event);
      };
      await assert.rejects(executor.renewLease(secrets.gh!.lease_id, 300));
      audit.record = record;
      const replacement = (await gw.gateway.services.state.leases.listByJob(envelope.payload.job_id)).find((l) => l.leaseId !== secrets.gh!.lease_id);
      assert.equal(replacement?.state, 'revoked', 'the undelivered replacement does not stay active');
      await runRevocations(gw.gateway.services, 'test');
      assert.equal([...gh.model.tokens.values()].slice(before)[0]?.revoked, true, 'its token is revoked at GitHub');
      await executor.completeJob(envelope.payload.job_id);
      await runRevocations(gw.gateway.services, 'test');
    } finally {
      audit.record = record;
      gh.model.tokenLifetimeMs = 3_600_000;
    }
  });

  it('turns GitHub rate limiting into unavailable with Retry-After, and the mount breaker opens', async () => {
    gh.fault = 'secondary_rate_limit';
    gh.retryAfterSeconds = 42;
    try {
      const envelope = await issue({ gh: 'cref://tenant_abc/github/app' });
      const answer = await rawPost(gw.dir, gw.url, '/v1/resolve', 'executor', envelopeBody(envelope));
      assert.equal(answer.status, 503);
      assert.equal(JSON.parse(answer.body).error.code, 'unavailable');
      assert.equal(answer.headers['retry-after'], '42');
      gh.fault = 'throttled';
      const line = await refused(gw, resolve(await issue({ gh: 'cref://tenant_abc/github/app' })), 'unavailable', 'backend');
      assert.match(line.reason!, /throttled: github create installation token: HTTP 403 \(rate limited\)/);
      assert.equal(gw.gateway.services.mounts.get('github').breakerState(), 'open');
      const seen = gh.requests.length;
      await refused(gw, resolve(await issue({ gh: 'cref://tenant_abc/github/app' })), 'unavailable', 'backend');
      assert.equal(gh.requests.length, seen, 'an open breaker sends nothing to GitHub');
    } finally {
      gh.fault = null;
    }
  });

  it('never writes the App private key or a token into logs or audit lines', async () => {
    const keyBody = gh.privateKeyPem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
    const texts = [gw.logs.join(''), JSON.stringify(await gw.auditLines())];
    assert.ok(minted.length >= 4);
    for (const text of texts) {
      for (const line of keyBody) assert.ok(!text.includes(line), 'a line of the App key reached a log');
      for (const token of minted) assert.ok(!text.includes(token), 'a token reached a log');
    }
  });
});
