/**
 * The github-app adapter's own cases beside the conformance suite, over the wire against the GitHub emulator:
 * exact narrowing, every way an answer can differ from the request, bound repositories, renew (extend or
 * replace), idempotent revoke, GitHub's rate-limit headers, and the private key's handling. Also holds the
 * emulator to GitHub's documented App JWT rules.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, importPKCS8 } from 'jose';
import type { IssueRequest } from '../../../adapters/contract.ts';
import { create, type GitHubTokenHandle } from '../../../adapters/github-app/adapter.ts';
import { loadPrivateKey } from '../../../adapters/github-app/private_key.ts';
import { retryAfterOf } from '../../../adapters/github-app/map_error.ts';
import { githubAppOptionsSchema } from '../../../adapters/github-app/options.ts';
import { rejectsKind } from '../../helpers/adapter_errors.ts';
import { signal } from '../../helpers/kit.ts';
import { githubRig, type GitHubRig } from './github_fixture.ts';

const job = (bindings?: Record<string, string>) => ({ jobId: 'job-gh', tenant: 'tenant_abc', executor: 'exec-01', expiresAt: Date.now() + 7_200_000, bindings });
const request = (path: string, routeOptions?: IssueRequest['routeOptions'], bindings?: Record<string, string>): IssueRequest => ({
  path, maxTtlSeconds: 7200, job: job(bindings), signal: signal(), ...(routeOptions === undefined ? {} : { routeOptions }),
});

describe('github-app adapter', () => {
  let rig: GitHubRig;
  beforeEach(async () => {
    rig = await githubRig({ installation: 'org' });
  });
  afterEach(async () => {
    await rig.close();
  });
  const lastAsk = () => rig.emulator.requests.filter((r) => r.path.endsWith('/access_tokens')).at(-1)?.body;

  it('asks GitHub for exactly the route\'s repositories and permissions, and the lease is bounded by the token and the job', async () => {
    const cred = await rig.adapter.issue(request('lib,app', { permissions: { contents: 'write', pull_requests: 'write' } }));
    assert.deepEqual(lastAsk(), { repositories: ['app', 'lib'], permissions: { contents: 'write', pull_requests: 'write' } });
    const token = rig.emulator.minted(cred.value as string)!;
    assert.deepEqual(token.repositories.map((r) => r.name), ['app', 'lib']);
    assert.ok(cred.leaseDuration <= 3600 && cred.leaseDuration > 3500, `${cred.leaseDuration}`);
    const short = await rig.adapter.issue({ ...request('app'), maxTtlSeconds: 90 });
    assert.equal(short.leaseDuration, 90);
    assert.deepEqual(lastAsk(), { repositories: ['app'], permissions: { metadata: 'read' } }, 'default: metadata read only');
  });

  it('refuses route paths and options that do not name an exact scope', async () => {
    for (const path of ['', '*', 'a b', '../x', 'app,', 'owner/app']) await rejectsKind(rig.adapter.issue(request(path)), 'invalid_reference');
    await rejectsKind(rig.adapter.issue(request('app', { permissions: {} })), 'invalid_reference');
    await rejectsKind(rig.adapter.issue(request('app', { permissions: { contents: 'everything' } })), 'invalid_reference');
    await rejectsKind(rig.adapter.issue(request('app', { permissions: { contents: 'read' }, extra: true })), 'invalid_reference');
    await rejectsKind(rig.adapter.issue({ ...request('app'), field: 'token' }), 'invalid_reference');
    assert.equal(lastAsk(), undefined, 'nothing was asked of GitHub');
  });

  it('maps a scope the installation does not grant (GitHub 422) to permission_denied', async () => {
    await rejectsKind(rig.adapter.issue(request('app', { permissions: { administration: 'write' } })), 'permission_denied', /HTTP 422/);
    await rejectsKind(rig.adapter.issue(request('app', { permissions: { issues: 'write' } })), 'permission_denied', /HTTP 422/);
    await rejectsKind(rig.adapter.issue(request('elsewhere')), 'permission_denied', /HTTP 422/);
  });

  const tampers: Array<[string, string, (a: Record<string, unknown>) => Record<string, unknown>]> = [
    ['permissions', 'a higher level', (a) => ({ ...a, permissions: { ...(a.permissions as object), contents: 'write' } })],
    ['permissions', 'none listed', (a) => ({ ...a, permissions: {} })],
    ['repositories', 'one more', (a) => ({ ...a, repositories: [...(a.repositories as object[]), { name: 'infra' }] })],
    ['repository_selection', 'all', (a) => ({ ...a, repository_selection: 'all' })],
    ['expires_at', 'in the past', (a) => ({ ...a, expires_at: '2001-01-01T00:00:00Z' })],
  ];
  for (const [what, how, tamper] of tampers) {
    it(`refuses an answer whose ${what} differs from the request (${how}), and revokes that token`, async () => {
      rig.emulator.tamper = tamper;
      await rejectsKind(rig.adapter.issue(request('app', { permissions: { contents: 'read' } })), 'integrity', new RegExp(`answer's ${what} differs`));
      const tokens = [...rig.emulator.model.tokens.values()];
      assert.equal(tokens.length, 1);
      assert.equal(tokens[0]!.revoked, true);
    });
  }

  it('narrows to the job\'s bound repository when the route says repositories: bound', async () => {
    const bound = { permissions: { contents: 'write' }, repositories: 'bound' } as const;
    const cred = await rig.adapter.issue(request('*', bound, { repository: 'acme/infra', sha: 'a'.repeat(40) }));
    assert.deepEqual(rig.emulator.minted(cred.value as string)!.repositories.map((r) => r.full_name), ['acme/infra']);
    await rig.adapter.issue(request('app,lib', bound, { repository: 'ACME/lib' }));
    assert.deepEqual(lastAsk(), { repositories: ['lib'], permissions: { contents: 'write' } });
    await rejectsKind(rig.adapter.issue(request('*', bound)), 'permission_denied', /bound to none/);
    await rejectsKind(rig.adapter.issue(request('*', bound, { repository: 'other-org/elsewhere' })), 'permission_denied', /another account/);
    await rejectsKind(rig.adapter.issue(request('app,lib', bound, { repository: 'acme/infra' })), 'permission_denied', /not one the route allows/);
  });

  it('renew extends while the token outlives the asked end, and otherwise mints a same-scope replacement', async () => {
    const cred = await rig.adapter.issue(request('app', { permissions: { contents: 'read' } }));
    const extended = await rig.adapter.renew!({ handle: cred.handle, incrementSeconds: 600, signal: signal() });
    assert.deepEqual(extended, { leaseDuration: 600 });
    assert.equal(rig.emulator.model.tokens.size, 1, 'no new token for an extension the token covers');
    const replaced = await rig.adapter.renew!({ handle: cred.handle, incrementSeconds: 5400, signal: signal() });
    assert.ok(typeof replaced.value === 'string' && replaced.value !== cred.value);
    assert.ok(replaced.leaseDuration <= 3600);
    const fresh = rig.emulator.minted(replaced.value)!;
    assert.deepEqual([fresh.permissions, fresh.repositories.map((r) => r.name)], [{ contents: 'read' }, ['app']]);
    assert.equal(rig.emulator.minted(cred.value as string)!.revoked, false, 'the old token is left to the gateway\'s revocation queue');
    assert.ok(!JSON.stringify(replaced.handle).includes(replaced.value));
  });

  it('renew of an expired token is not_found', async () => {
    let offset = 0;
    const clocked = await githubRig({ now: () => Date.now() + offset });
    try {
      const cred = await clocked.adapter.issue(request('app'));
      offset = 3_700_000;
      await rejectsKind(clocked.adapter.renew!({ handle: cred.handle, incrementSeconds: 60, signal: signal() }), 'not_found');
    } finally {
      await clocked.close();
    }
  });

  it('revoke is idempotent, skips expired tokens, and refuses a tampered or foreign handle', async () => {
    const cred = await rig.adapter.issue(request('app'));
    await rig.adapter.revoke!({ handle: cred.handle, signal: signal() });
    const deletes = () => rig.emulator.requests.filter((r) => r.method === 'DELETE').length;
    assert.equal(deletes(), 1);
    await rig.adapter.revoke!({ handle: cred.handle, signal: signal() }); // 401 from GitHub: already gone
    const handle = cred.handle as unknown as GitHubTokenHandle;
    await rig.adapter.revoke!({ handle: { ...handle, token_expires_at: Date.now() - 1000 } as never, signal: signal() });
    assert.equal(deletes(), 2, 'an expired token needs no call');
    await rejectsKind(rig.adapter.revoke!({ handle: { ...handle, token_expires_at: handle.token_expires_at + 1000 } as never, signal: signal() }), 'integrity');
    await rejectsKind(rig.adapter.revoke!({ handle: { lease_id: 'vault-lease' }, signal: signal() }), 'invalid_reference');
  });

  it('reads GitHub\'s rate-limit headers: retry-after, or x-ratelimit-remaining 0 with the reset time', async () => {
    rig.emulator.fault = 'throttled';
    rig.emulator.retryAfterSeconds = 30;
    const primary = await rejectsKind(rig.adapter.issue(request('app')), 'throttled');
    assert.ok(primary.retryAfter !== undefined && primary.retryAfter >= 29 && primary.retryAfter <= 31, `${primary.retryAfter}`);
    rig.emulator.fault = 'secondary_rate_limit';
    rig.emulator.retryAfterSeconds = 5;
    assert.equal((await rejectsKind(rig.adapter.issue(request('app')), 'throttled')).retryAfter, 5);
    assert.equal(retryAfterOf({ 'x-ratelimit-remaining': '12' }, Date.now()), undefined);
    assert.equal(retryAfterOf({ 'retry-after': '99999' }, Date.now()), 3600, 'capped');
  });

  it('finds the installation by id, org, user or repository, once', async () => {
    const user = rig.emulator.install('octocat', { type: 'User', repositories: ['dotfiles'], permissions: { contents: 'read', metadata: 'read' } });
    const options = githubAppOptionsSchema.parse({ api_url: rig.emulator.url, app_id: rig.emulator.app.id, private_key_env: 'CREFGATE_TEST_GH_KEY', installation: { user: 'octocat' } });
    const adapter = create(options, { mount: 'gh', stateDir: '/x', configDir: '/x' }, { env: rig.env });
    assert.match((await adapter.health(signal())).detail!, new RegExp(`installation ${user.id} on octocat`));
    await adapter.issue(request('dotfiles'));
    await adapter.issue(request('dotfiles'));
    assert.equal(rig.emulator.requests.filter((r) => r.path === '/users/octocat/installation').length, 1);
    const missing = create({ ...options, installation: { org: 'nobody' } }, { mount: 'gh', stateDir: '/x', configDir: '/x' }, { env: rig.env });
    await rejectsKind(missing.issue(request('x')), 'not_found');
  });

  it('loads the App key from env or file; errors name where, never the key', () => {
    const base = { api_url: 'http://127.0.0.1:1', app_id: 1, installation: { id: 1 } };
    const ctx = { mount: 'gh', stateDir: '/x', configDir: '/nonexistent-dir' };
    const pem = rig.emulator.privateKeyPem;
    const broken = pem.slice(0, 200);
    const cases: Array<[Record<string, unknown>, NodeJS.ProcessEnv, RegExp]> = [
      [{ private_key_env: 'K' }, {}, /env K is not set/],
      [{ private_key_env: 'K' }, { K: broken }, /env K is not a PEM private key/],
      [{ private_key_file: 'missing.pem' }, {}, /file missing.pem cannot be read \(ENOENT\)/],
      [{ private_key_env: 'K' }, { K: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, /must be an RSA key/],
    ];
    for (const [key, env, message] of cases) {
      const options = githubAppOptionsSchema.parse({ ...base, ...key });
      assert.throws(() => loadPrivateKey(options, ctx, env), (err: Error) => message.test(err.message) && !err.message.includes(broken.slice(40, 80)));
    }
    assert.equal(githubAppOptionsSchema.safeParse({ ...base, private_key_env: 'K', private_key_file: 'f' }).success, false);
    assert.equal(githubAppOptionsSchema.safeParse({ ...base, private_key_env: 'K', api_url: 'http://github.example.com' }).success, false);
    assert.equal(loadPrivateKey(githubAppOptionsSchema.parse({ ...base, private_key_env: 'K' }), ctx, { K: pem }).asymmetricKeyType, 'rsa');
  });
});

describe('GitHub emulator: App JWT rules as GitHub documents them', () => {
  let rig: GitHubRig;
  before(async () => {
    rig = await githubRig();
  });
  after(async () => {
    await rig.close();
  });
  const now = () => Math.floor(Date.now() / 1000);
  const getApp = async (jwt: string) => (await fetch(`${rig.emulator.url}/app`, { headers: { authorization: `Bearer ${jwt}` } })).status;
  const sign = async (claims: Record<string, unknown>, pem = rig.emulator.privateKeyPem, alg = 'RS256') => {
    const { createPrivateKey } = await import('node:crypto');
    const pkcs8 = createPrivateKey(pem).export({ type: 'pkcs8', format: 'pem' }).toString();
    return await new SignJWT(claims).setProtectedHeader({ alg }).sign(await importPKCS8(pkcs8, alg));
  };

  it('accepts iss as app id, its string form or the client id; iat up to 60 s ahead; exp at most 10 min after iat', async () => {
    for (const iss of [rig.emulator.app.id, String(rig.emulator.app.id), rig.emulator.app.clientId] as Array<string | number>) assert.equal(await getApp(await sign({ iss, iat: now() - 30, exp: now() + 570 })), 200);
    assert.equal(await getApp(await sign({ iss: rig.emulator.app.id, iat: now() + 50, exp: now() + 600 })), 200);
  });

  it('answers 401 for another issuer, a future iat, a too-long or past exp, a foreign key, or HS256', async () => {
    const id = rig.emulator.app.id;
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const bad = [
      await sign({ iss: 999, iat: now(), exp: now() + 60 }),
      await sign({ iss: id, iat: now() + 120, exp: now() + 300 }),
      await sign({ iss: id, iat: now() - 10, exp: now() + 600 }),
      await sign({ iss: id, iat: now() - 700, exp: now() - 100 }),
      await sign({ iss: id, iat: now(), exp: now() + 60 }, other),
      await new SignJWT({ iss: String(id), iat: now(), exp: now() + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from('k'.repeat(32))),
    ];
    for (const jwt of bad) assert.equal(await getApp(jwt), 401);
    assert.equal((await fetch(`${rig.emulator.url}/app`)).status, 401);
  });
});
