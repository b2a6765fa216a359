/**
 * Bound CI jobs keep a working GitHub token past its one hour (issue 19): an executor that authenticates with a
 * workload OIDC token (no client certificate) renews and revokes its leases on the bootstrap listener, through
 * the SDK's `identityToken` client. The renewal mints a replacement at the GitHub emulator and the old token is
 * revoked (401). The job's bindings are checked again on every renewal: a token of another commit or run is
 * refused at `binding`, another executor's token at `lease`, no token at all at `tls`; a disabled executor and a
 * completed job are refused too, and nothing is minted at GitHub for a refused renewal. On the memory store and
 * on Redis (its own redis-server on a free port), where the job record carries the bindings as JSON.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Octokit } from '@octokit/rest';
import { CrefgateClient, ExecutorSession, type Envelope } from '../../src/client/index.ts';
import { renewLease } from '../../src/leases/renew_lease.ts';
import { runRevocations } from '../../src/leases/revocation_worker.ts';
import { stateConfigSchema } from '../../src/state/config.ts';
import { GitHubEmulator } from '../adapters/github-app/emulator/server.ts';
import { gatewayGithubMount } from '../adapters/github-app/github_fixture.ts';
import { startOidcEmulator, type OidcEmulator } from '../emulators/oidc/server.ts';
import { refused } from '../helpers/assertions.ts';
import { bootstrapCall, bootstrapListener, bootstrapUrl, oidcIssuer } from '../helpers/bootstrap.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { RedisServer } from '../helpers/redis_server.ts';
import { until } from '../helpers/until.ts';

const SHA = 'd'.repeat(40);
const RUN = { repository: 'acme/lib', ref: 'refs/heads/main', sha: SHA, run_id: '4242' };
const PUSH = { gh: 'cref://tenant_abc/github-deploy/push' };

for (const store of ['memory', 'redis'] as const) describe(`OIDC executors renew and revoke their leases on the bootstrap listener (${store} state)`, () => {
  let redis: RedisServer | undefined;
  let gh: GitHubEmulator;
  let oidc: OidcEmulator;
  let gw: TestGateway;
  let tmp: string;
  const clients: CrefgateClient[] = [];
  /** A certificate-less SDK client whose every request carries a fresh token with these claims. */
  const workload = (claims: Record<string, string>, counter?: { calls: number }) => {
    const client = new CrefgateClient({
      url: bootstrapUrl(gw),
      ca: readFileSync(path.join(gw.dir, 'pki', 'ca.crt')),
      identityToken: () => {
        if (counter !== undefined) counter.calls += 1;
        return oidc.sign({ repository_owner: 'acme', ...claims });
      },
    });
    clients.push(client);
    return client;
  };
  const issue = (ttl = 600, bindings: Record<string, string> = RUN): Promise<Envelope> =>
    gw.client('coordinator').issueJob({ tenant: 'tenant_abc', executor: 'exec-gha', crefs: PUSH, ttl, bindings });
  const asToken = (token: string) => new Octokit({ baseUrl: gh.url, auth: token, log: { debug() {}, info() {}, warn() {}, error() {} } });
  const works = async (token: string) => (await asToken(token).request('GET /installation/repositories')).status;

  before(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'crefgate-oidc-renew-'));
    gh = await GitHubEmulator.start();
    gh.install('acme', { repositories: ['app', 'lib'], permissions: { contents: 'write', metadata: 'read' } });
    oidc = await startOidcEmulator({ path: '/gha' });
    // This suite's breaker allows five failures (the shared mount allows two).
    const githubMount = { ...(await gatewayGithubMount(gh, tmp)), breaker: { failure_threshold: 5, cooldown_ms: 60_000 } };
    const masterKey = path.join(tmp, 'master.key');
    await writeFile(masterKey, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    if (store === 'redis') redis = await RedisServer.start();
    gw = await startGateway({
      gateway: { workers: false },
      mutate(config) {
        if (redis !== undefined) config.state = stateConfigSchema.parse({ kind: 'redis', redis: { url: redis.url, master_keys: [{ key_id: 'm1', file: masterKey }] } });
        config.bootstrap = bootstrapListener();
        config.oidc.issuers = [oidcIssuer(oidc.issuer, [
          { executor: 'exec-gha', tenant: 'tenant_abc', claims: { repository_owner: 'acme' } },
          { executor: 'exec-other', tenant: 'tenant_abc', claims: { repository_owner: 'zeta' } },
        ])];
        config.tenants.tenant_abc!.grants = [{ id: 'ci', effect: 'allow', executors: ['exec-gha', 'exec-other'], crefs: ['cref://tenant_abc/**'] }];
        config.mounts.github = githubMount;
        config.routes.unshift({
          cref: 'cref://{tenant}/github-deploy/push',
          mount: 'github',
          path: '*',
          dynamic: true,
          options: { permissions: { contents: 'write' }, repositories: 'bound' },
          require_bindings: ['repository', 'sha'],
        });
      },
    });
    const admin = gw.client('admin');
    for (const id of ['exec-gha', 'exec-other']) await admin.registerExecutor({ id, tenant: 'tenant_abc', identities: [`spiffe://crefgate.local/tenant/tenant_abc/executor/${id}`] });
  });
  after(async () => {
    for (const client of clients) client.close();
    await gw.close();
    await gh.close();
    await oidc.close();
    await redis?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it('the SDK auto-renews past the token\'s expiry: a replacement that works at GitHub, the old token 401, revoke on complete()', async () => {
    assert.equal(gw.config.state.kind, store);
    gh.model.tokenLifetimeMs = 20_000;
    const asked = { calls: 0 };
    const client = workload(RUN, asked);
    assert.equal(client.auth, 'oidc');
    const envelope = await issue();
    let session: ExecutorSession;
    try {
      session = await ExecutorSession.start(client, envelope, { renewAt: 0.05 });
    } finally {
      // The replacement gets a full-hour token, so its lease ends with the job and is not renewed again.
      gh.model.tokenLifetimeMs = 3_600_000;
    }
    const first = session.value('gh') as string;
    const firstLease = session.secrets.gh!.lease_id;
    const firstEnd = gh.minted(first)!.expiresAt;
    assert.ok(session.secrets.gh!.lease_duration <= 20, 'the first lease ends with its token');
    const second = await until('a replacement token', async () => {
      const now = session.value('gh') as string;
      return now === first ? undefined : now;
    });
    assert.notEqual(session.secrets.gh!.lease_id, firstLease);
    assert.ok(session.secrets.gh!.expires_at * 1000 > firstEnd, 'the new lease runs past the old token\'s expiry');
    assert.ok(session.secrets.gh!.expires_at <= envelope.payload.expires_at, 'and no further than the job');
    // Regression: the replacement ended a fraction of a second before the job, so it stayed renewable and the SDK
    // would have renewed (minted) again and again as the job closed.
    assert.equal(session.secrets.gh!.renewable, false, 'it ends with the job');
    assert.equal((await gw.gateway.services.state.leases.get(session.secrets.gh!.lease_id))!.expiresAt, (await gw.gateway.services.state.jobs.get(envelope.payload.job_id))!.expiresAt);
    assert.deepEqual(gh.minted(second)!.repositories.map((r) => r.full_name), ['acme/lib'], 'same bound scope');
    await runRevocations(gw.gateway.services, 'test');
    await assert.rejects(asToken(first).request('GET /installation/repositories'), { status: 401 });
    assert.equal(await works(second), 200);
    assert.ok(asked.calls >= 2, 'a fresh identity token for the resolve and for the renewal');
    const renewal = (await gw.auditLines()).find((l) => l.action === 'lease.renew' && (l.detail as { replaced?: string }).replaced === firstLease)!;
    assert.equal((renewal.actor as { auth: string }).auth, 'oidc');

    await session.complete(); // no job completion on the bootstrap listener: the session revokes its leases
    await runRevocations(gw.gateway.services, 'test');
    await assert.rejects(asToken(second).request('GET /installation/repositories'), { status: 401 });
    const revoked = (await gw.auditLines()).find((l) => l.action === 'lease.revoke' && (l.lease_ids as string[]).includes(session.secrets.gh!.lease_id))!;
    assert.equal((revoked.actor as { auth: string }).auth, 'oidc');
    await gw.client('coordinator').completeJob(envelope.payload.job_id);
  });

  it('refuses a token of another commit or run at binding, names the binding, and mints nothing', async () => {
    const envelope = await issue();
    const { secrets } = await workload(RUN).resolve(envelope);
    const leaseId = secrets.gh!.lease_id;
    const before = gh.model.tokens.size;
    for (const [name, other] of [['sha', { sha: 'e'.repeat(40) }], ['run_id', { run_id: '4243' }]] as const) {
      const thief = workload({ ...RUN, ...other });
      let line = await refused(gw, thief.renewLease(leaseId, 300), 'forbidden', 'binding');
      assert.equal((line.detail as { binding: string }).binding, name);
      assert.match(line.reason!, new RegExp(`binding ${name} differs from the claim`));
      line = await refused(gw, thief.revokeLease(leaseId), 'forbidden', 'binding');
      assert.equal((line.detail as { binding: string }).binding, name);
    }
    // A certificate proves no claims: the same rule refuses it on the mTLS listener's handler.
    const certified = { role: 'executor' as const, id: 'exec-gha', tenant: 'tenant_abc', tenants: [], binding: 'spiffe://crefgate.local/tenant/tenant_abc/executor/exec-gha', fingerprint: 'x', auth: 'mtls' as const };
    await assert.rejects(renewLease(gw.gateway.services, certified, leaseId, 300), { code: 'forbidden', step: 'binding', reason: /authenticated with mtls, which proves no such claims/ });
    assert.equal(gh.model.tokens.size, before, 'a refused renewal asks GitHub for nothing');
    assert.equal((await gw.gateway.services.state.leases.get(leaseId))!.state, 'active');
    await gw.client('coordinator').completeJob(envelope.payload.job_id);
  });

  it('refuses another executor\'s token at lease, and a request without a token at tls (unauthenticated)', async () => {
    const envelope = await issue();
    const { secrets } = await workload(RUN).resolve(envelope);
    const leaseId = secrets.gh!.lease_id;
    const other = workload({ ...RUN, repository_owner: 'zeta' });
    let line = await refused(gw, other.renewLease(leaseId, 300), 'forbidden', 'lease');
    assert.match(line.reason!, /executor exec-other does not own job/);
    await refused(gw, other.revokeLease(leaseId), 'forbidden', 'lease');
    for (const route of ['/v1/leases/renew', '/v1/leases/revoke']) {
      line = await refused(gw, bootstrapCall(gw, route, { lease_id: leaseId, increment: 300 }), 'unauthenticated', 'tls');
      assert.match(line.reason!, /no bearer token on the bootstrap listener/);
    }
    await refused(gw, bootstrapCall(gw, '/v1/leases/renew', { lease_id: leaseId, increment: 300 }, 'not-a-jwt'), 'unauthenticated', 'tls');
    assert.equal((await gw.gateway.services.state.leases.get(leaseId))!.state, 'active');
    await gw.client('coordinator').completeJob(envelope.payload.job_id);
  });

  it('refuses a disabled executor renewal (its revoke still ends the lease), and any renewal after the job was completed (expired)', async () => {
    const envelope = await issue();
    const client = workload(RUN);
    const { secrets } = await client.resolve(envelope);
    const leaseId = secrets.gh!.lease_id;
    const admin = gw.client('admin');
    await admin.setExecutorEnabled('exec-gha', false);
    try {
      const line = await refused(gw, client.renewLease(leaseId, 300), 'forbidden', 'lease');
      assert.match(line.reason!, /exec-gha is disabled/);
      // Ending a credential early only narrows access: a disabled executor may still revoke its own lease.
      assert.deepEqual(await client.revokeLease(leaseId), { lease_id: leaseId, revoked: true });
    } finally {
      await admin.setExecutorEnabled('exec-gha', true);
    }
    await gw.client('coordinator').completeJob(envelope.payload.job_id);
    const line = await refused(gw, client.renewLease(leaseId, 300), 'expired', 'lease');
    assert.match(line.reason!, /job was completed|lease is revoked/);
    await runRevocations(gw.gateway.services, 'test');
    await assert.rejects(asToken(secrets.gh!.value as string).request('GET /installation/repositories'), { status: 401 });
  });

  it('writes no GitHub token and no identity token into logs or audit lines', async () => {
    const tokens = [...gh.model.tokens.values()].map((t) => t.token);
    assert.ok(tokens.length >= 4);
    const identity = await oidc.sign({ repository_owner: 'acme', ...RUN });
    await refused(gw, bootstrapCall(gw, '/v1/leases/renew', { lease_id: 'lease_0000000000000000', increment: 1 }, identity), 'not_found', 'lease');
    const texts = [gw.logs.join(''), JSON.stringify(await gw.auditLines())];
    for (const text of texts) {
      for (const token of tokens) assert.ok(!text.includes(token), 'a GitHub token reached a log');
      assert.ok(!text.includes(identity.split('.')[2]!), 'an identity token reached a log');
    }
  });
});
