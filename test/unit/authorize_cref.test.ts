/** The one cref authorization rule (issue 17.5) shared by issuance and resolve step 7: tenant, policy, route. */
import assert from 'node:assert/strict';
import { parseCref } from '../../src/envelope/cref.ts';
import type { Identity } from '../../src/identity/identity.ts';
import { authorizeCref } from '../../src/policy/authorize_cref.ts';
import { Policy } from '../../src/policy/policy.ts';
import { policyFromConfig, tenantPolicySchema } from '../../src/policy/policy_config.ts';
import { CrefRouter, type ResolvedRoute } from '../../src/routing/router.ts';
import type { ExecutorRecord } from '../../src/state/contract.ts';

const executor: ExecutorRecord = { id: 'gha', tenant: 'tenant_abc', identities: [], allowedCrefs: [], enabled: true, createdAt: 0, secrets: [], graceMs: 0 };
const cref = (raw: string) => parseCref(raw)!;
const workload = (repository: string): Identity =>
  ({ role: 'executor', id: 'gha', tenants: [], binding: 'oidc', fingerprint: 'oidc', auth: 'oidc', claims: { repository } });

const policy = new Policy(policyFromConfig({
  tenant_abc: tenantPolicySchema.parse({
    grants: [
      { id: 'ci', executors: ['gha'], crefs: ['cref://tenant_abc/ci/*', 'cref://tenant_abc/unrouted/*'] },
      { id: 'deploy', executors: ['gha'], claims: { repository: 'org/app' }, crefs: ['cref://tenant_abc/deploy/*'] },
    ],
  }),
  tenant_xyz: tenantPolicySchema.parse({ grants: [{ id: 'all', crefs: ['cref://tenant_xyz/**'] }] }),
}, ['ci']));
const router = new CrefRouter([
  { cref: 'cref://{tenant}/ci/{name}', mount: 'vault', path: 'kv/{tenant}/{name}', dynamic: false },
  { cref: 'cref://{tenant}/deploy/{name}', mount: 'vault', path: 'deploy/{name}', dynamic: false },
]);

describe('authorizeCref', () => {
  it('allows a cref in the tenant that policy allows and a route maps, naming the rule and the route', () => {
    const verdict = authorizeCref(policy, router, { tenant: 'tenant_abc', executor, cref: cref('cref://tenant_abc/ci/npm') });
    assert.ok(verdict.allowed);
    assert.equal(verdict.rule, policy.mayRead(executor, cref('cref://tenant_abc/ci/npm')).rule);
    assert.match(verdict.rule, /ci/);
    assert.deepEqual([verdict.route.mount, verdict.route.path], ['vault', 'kv/tenant_abc/npm']);
  });

  it('refuses a cref of another tenant before asking policy, even when that tenant would allow it', () => {
    assert.deepEqual(authorizeCref(policy, router, { tenant: 'tenant_abc', executor, cref: cref('cref://tenant_xyz/ci/npm') }),
      { allowed: false, refusal: 'tenant', reason: 'cref cref://tenant_xyz/ci/npm is outside tenant tenant_abc' });
  });

  it('refuses what policy denies, with the policy rule in the reason', () => {
    const verdict = authorizeCref(policy, router, { tenant: 'tenant_abc', executor, cref: cref('cref://tenant_abc/prod/db') });
    assert.equal(verdict.allowed, false);
    assert.ok(!verdict.allowed && verdict.refusal === 'policy' && verdict.reason.startsWith('policy denies cref://tenant_abc/prod/db: '));
  });

  it('refuses an allowed cref that no route maps', () => {
    assert.deepEqual(authorizeCref(policy, router, { tenant: 'tenant_abc', executor, cref: cref('cref://tenant_abc/unrouted/x') }),
      { allowed: false, refusal: 'route', reason: 'no route for cref://tenant_abc/unrouted/x' });
  });

  it('decides claim-bound grants with the workload when one is given (resolve) and lets issuance through without one', () => {
    const deploy = cref('cref://tenant_abc/deploy/key');
    assert.equal(authorizeCref(policy, router, { tenant: 'tenant_abc', executor, cref: deploy }).allowed, true, 'issuance: claims are checked later');
    assert.equal(authorizeCref(policy, router, { tenant: 'tenant_abc', executor, cref: deploy, workload: workload('org/app') }).allowed, true);
    const fork = authorizeCref(policy, router, { tenant: 'tenant_abc', executor, cref: deploy, workload: workload('fork/app') });
    assert.equal(fork.allowed ? 'allowed' : fork.refusal, 'policy');
  });

  it('keeps a route found earlier instead of routing again', () => {
    const earlier: ResolvedRoute = { mount: 'elsewhere', path: 'p', dynamic: true };
    const verdict = authorizeCref(policy, router, { tenant: 'tenant_abc', executor, cref: cref('cref://tenant_abc/unrouted/x'), route: earlier });
    assert.equal(verdict.allowed && verdict.route, earlier);
  });
});

