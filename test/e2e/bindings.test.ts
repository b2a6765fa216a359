/**
 * Job bindings end to end with the workload OIDC issuer emulator: a coordinator binds a job to a repository,
 * ref, commit, run and workflow; the executor's GitHub-Actions-shaped token must carry each claim exactly.
 * Any other value is refused at step `binding`, naming the binding in the audit line; certificate executors
 * cannot satisfy a bound job; unbound jobs work as before; routes may require bindings at issuance and resolve.
 */
import assert from 'node:assert/strict';
import { envelopeBody, type Envelope } from '../../src/client/index.ts';
import { refused } from '../helpers/assertions.ts';
import { bootstrapCall, bootstrapListener, oidcIssuer } from '../helpers/bootstrap.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { startOidcEmulator, type OidcEmulator } from '../emulators/oidc/server.ts';

const SHA = 'c0ffee'.padEnd(40, '0');
const run = { repository: 'org/app', ref: 'refs/heads/main', sha: SHA, run_id: '9001', workflow: 'deploy' };

describe('job bindings (repository, ref, sha, run_id, workflow)', () => {
  let gw: TestGateway;
  let gha: OidcEmulator;
  const issue = (bindings?: Record<string, string>, crefs: Record<string, string> = { npm: 'cref://tenant_abc/npm_token' }, executor = 'exec-gha') =>
    gw.client('coordinator').issueJob({ tenant: 'tenant_abc', executor, crefs, ttl: 600, ...(bindings === undefined ? {} : { bindings }) });
  const resolveWith = (envelope: Envelope, token: string) => bootstrapCall<{ secrets: Record<string, { value: string }> }>(gw, '/v1/resolve', envelopeBody(envelope), token);

  before(async () => {
    gha = await startOidcEmulator({ path: '/gha' });
    gw = await startGateway({
      mutate(config) {
        config.bootstrap = bootstrapListener();
        config.oidc.issuers = [oidcIssuer(gha.issuer, [{ executor: 'exec-gha', tenant: 'tenant_abc', claims: { repository_owner: 'org' } }])];
        config.tenants.tenant_abc!.grants = [
          { id: 'ci', effect: 'allow', executors: ['exec-gha', 'exec-01'], crefs: ['cref://tenant_abc/**'] },
        ];
        config.routes.unshift({
          cref: 'cref://{tenant}/release/{name}',
          mount: 'local',
          path: 'tenants/{tenant}/{name}',
          dynamic: false,
          require_bindings: ['sha'],
          binding_patterns: { ref: ['refs/heads/main', 'refs/tags/v*'] },
        });
      },
    });
    await gw.client('admin').registerExecutor({ id: 'exec-gha', tenant: 'tenant_abc', identities: ['spiffe://crefgate.local/tenant/tenant_abc/executor/exec-gha'] });
  });
  after(async () => {
    await gw.close();
    await gha.close();
  });

  const tokenFor = (claims: Record<string, string>) => gha.sign({ repository_owner: 'org', ...claims });

  it('signs the bindings into the payload (HMAC and pld cover them) and resolves when every claim matches', async () => {
    const envelope = await issue(run);
    assert.deepEqual(envelope.payload.bindings, run);
    const result = await resolveWith(envelope, await tokenFor(run));
    assert.match(result.secrets.npm!.value, /^npm_demo_/);
    const issued = (await gw.auditLines()).find((l) => l.action === 'job.issue' && l.job_id === envelope.payload.job_id)!;
    assert.deepEqual((issued.detail as { bindings: unknown }).bindings, run);
  });

  for (const name of ['sha', 'ref', 'repository', 'run_id', 'workflow'] as const) {
    it(`refuses a token whose ${name} differs, at step binding, naming ${name}`, async () => {
      const others: Record<string, string> = { sha: 'f'.repeat(40), ref: 'refs/heads/feature', repository: 'org/other', run_id: '9002', workflow: 'lint' };
      const other = others[name]!;
      const envelope = await issue(run);
      const line = await refused(gw, resolveWith(envelope, await tokenFor({ ...run, [name]: other })), 'forbidden', 'binding');
      assert.equal((line.detail as { binding: string }).binding, name);
      assert.match(line.reason!, new RegExp(`binding ${name} `));
      assert.ok(!JSON.stringify(line).includes(other), 'the presented value is not echoed into the audit line');
      // The refusal burned nothing: the right token still resolves the same envelope.
      await resolveWith(envelope, await tokenFor(run));
    });
  }

  it('refuses a token that lacks a bound claim', async () => {
    const { workflow: _omitted, ...partial } = run;
    const line = await refused(gw, resolveWith(await issue(run), await tokenFor(partial)), 'forbidden', 'binding');
    assert.equal((line.detail as { binding: string }).binding, 'workflow');
  });

  it('a tampered binding breaks the HMAC: the payload cannot be re-bound after issuance', async () => {
    const envelope = await issue(run);
    const forged = { ...envelope, payload: { ...envelope.payload, bindings: { ...run, sha: 'e'.repeat(40) } } };
    await refused(gw, resolveWith(forged, await tokenFor({ ...run, sha: 'e'.repeat(40) })), 'unauthenticated', 'hmac');
  });

  it('keeps unbound jobs working as today, for OIDC and certificate executors', async () => {
    const viaOidc = await resolveWith(await issue(), await tokenFor({ ...run, sha: 'd'.repeat(40) }));
    assert.match(viaOidc.secrets.npm!.value, /^npm_demo_/);
    const viaCert = await gw.client('executor').resolve(await issue(undefined, { npm: 'cref://tenant_abc/npm_token' }, 'exec-01'), { hmacSecrets: gw.hmac });
    assert.match(String(viaCert.secrets.npm!.value), /^npm_demo_/);
  });

  it('refuses a certificate-authenticated executor on a bound job, at binding', async () => {
    const envelope = await issue({ sha: SHA }, { npm: 'cref://tenant_abc/npm_token' }, 'exec-01');
    const line = await refused(gw, gw.client('executor').resolve(envelope, { hmacSecrets: gw.hmac }), 'forbidden', 'binding');
    assert.equal((line.detail as { binding: string }).binding, 'sha');
    assert.match(line.reason!, /authenticated with mtls/);
  });

  it('refuses bad binding values at issuance with a typed 400 malformed, and unknown binding names', async () => {
    const coordinator = gw.client('coordinator');
    const bad: Record<string, string>[] = [
      { sha: 'ABC' }, { sha: 'A'.repeat(40) }, { ref: 'main' }, { ref: 'refs/heads/../x' }, { ref: 'refs/heads/a b' },
      { repository: 'no-slash' }, { repository: 'org/app/extra' }, { run_id: '12a' }, { run_id: '0' }, { workflow: 'a\nb' }, { branch: 'main' },
    ];
    for (const bindings of bad) {
      await assert.rejects(coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-gha', crefs: { npm: 'cref://tenant_abc/npm_token' }, ttl: 60, bindings }), (err: { code?: string; status?: number }) => {
        assert.equal(err.code, 'malformed', JSON.stringify(bindings));
        assert.equal(err.status, 400);
        return true;
      });
    }
    await assert.rejects(coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-gha', crefs: { npm: 'cref://tenant_abc/npm_token' }, ttl: 60, bindings: {} }), { code: 'malformed' });
  });

  it('a route that requires bindings refuses an unbound or wrongly bound job at issuance (step policy)', async () => {
    const crefs = { npm: 'cref://tenant_abc/release/npm_token' };
    const cases: Array<Record<string, string> | undefined> = [undefined, { ref: 'refs/heads/main' }, { sha: SHA, ref: 'refs/heads/feature' }];
    for (const bindings of cases) {
      const pending = issue(bindings, crefs);
      let code: string | undefined;
      let requestId: string | undefined;
      await pending.catch((err: { code: string; requestId: string }) => {
        code = err.code;
        requestId = err.requestId;
      });
      assert.equal(code, 'forbidden', JSON.stringify(bindings));
      const line = await gw.auditFor(requestId!);
      assert.equal(line.step, 'policy');
      assert.match(line.reason!, /requires a job bound to a (sha|ref)|does not accept this ref binding/);
    }
    for (const ref of ['refs/heads/main', 'refs/tags/v1.2.3']) {
      const envelope = await issue({ sha: SHA, ref }, crefs);
      const result = await resolveWith(envelope, await tokenFor({ ...run, ref }));
      assert.match(result.secrets.npm!.value, /^npm_demo_/);
    }
  });
});
