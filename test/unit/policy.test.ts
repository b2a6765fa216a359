/** The policy engine on its own: deny by default, deny grants win, claim-bound grants, start-up validation. */
import assert from 'node:assert/strict';
import { parseCref } from '../../src/envelope/cref.ts';
import type { Identity } from '../../src/identity/identity.ts';
import { Policy } from '../../src/policy/policy.ts';
import { policyFromConfig, tenantPolicySchema } from '../../src/policy/policy_config.ts';
import type { ExecutorRecord } from '../../src/state/contract.ts';

const executor = (id: string, allowedCrefs: string[] = [], tenant = 'tenant_abc'): ExecutorRecord =>
  ({ id, tenant, identities: [], allowedCrefs, enabled: true, createdAt: 0, secrets: [], graceMs: 0 });
const cref = (raw: string) => parseCref(raw)!;
const oidc = (claims: Record<string, string>): Identity =>
  ({ role: 'executor', id: 'gha', tenants: [], binding: 'oidc', fingerprint: 'oidc', auth: 'oidc', claims });
const mtls: Identity = { role: 'executor', id: 'gha', tenants: [], binding: 'spiffe://x/y', fingerprint: 'sha256:00', auth: 'mtls' };
const coordinator = (id: string, tenants: string[]): Identity => ({ role: 'coordinator', id, tenants, binding: id, fingerprint: id, auth: 'mtls' });

function policy(tenants: Record<string, unknown>, coordinators = ['ci']): Policy {
  const parsed = Object.fromEntries(Object.entries(tenants).map(([t, p]) => [t, tenantPolicySchema.parse(p)]));
  return new Policy(policyFromConfig(parsed, coordinators));
}

describe('policy', () => {
  const p = policy({
    tenant_abc: {
      max_ttl_seconds: 600,
      coordinators: ['ci'],
      grants: [
        { id: 'no-prod', effect: 'deny', crefs: ['cref://tenant_abc/prod/**'] },
        { id: 'batch-reports', executors: ['batch'], crefs: ['cref://tenant_abc/reports/*'] },
        { id: 'gha-main', executors: ['gha'], claims: { repository: 'org/app', ref: ['refs/heads/main', 'refs/tags/v1'] }, crefs: ['cref://tenant_abc/deploy/*'] },
        { id: 'gha-no-fork', effect: 'deny', executors: ['gha'], claims: { repository_owner: 'fork' }, crefs: ['cref://tenant_abc/**'] },
      ],
    },
    tenant_xyz: {},
  });

  it('denies by default and names why', () => {
    assert.deepEqual(p.mayRead(executor('batch'), cref('cref://tenant_abc/github_token')), { allowed: false, rule: 'no rule of tenant tenant_abc allows batch' });
  });

  it('allows through the executor registration or a tenant grant, naming the rule', () => {
    assert.deepEqual(p.mayRead(executor('e1', ['cref://tenant_abc/ci/*']), cref('cref://tenant_abc/ci/npm')), { allowed: true, rule: 'executor e1 allowed_crefs cref://tenant_abc/ci/*' });
    assert.deepEqual(p.mayRead(executor('batch'), cref('cref://tenant_abc/reports/s3')), { allowed: true, rule: 'tenant tenant_abc grant batch-reports' });
    assert.equal(p.mayRead(executor('other'), cref('cref://tenant_abc/reports/s3')).allowed, false, 'the grant names batch only');
  });

  it('lets a deny grant win over the registration', () => {
    assert.deepEqual(p.mayRead(executor('e1', ['cref://tenant_abc/**']), cref('cref://tenant_abc/prod/db')), { allowed: false, rule: 'tenant tenant_abc deny grant no-prod' });
  });

  it('refuses cross-tenant reads whatever the registration says', () => {
    assert.deepEqual(p.mayRead(executor('e1', ['cref://tenant_abc/**']), cref('cref://tenant_xyz/deploy_key')), { allowed: false, rule: 'cross-tenant' });
  });

  it('defers claim-bound grants at issuance and enforces them at resolve', () => {
    const gha = executor('gha');
    const deploy = cref('cref://tenant_abc/deploy/key');
    assert.deepEqual(p.mayRead(gha, deploy), { allowed: true, rule: 'tenant tenant_abc grant gha-main (claims checked at resolve)' });
    assert.deepEqual(p.mayRead(gha, deploy, oidc({ repository: 'org/app', ref: 'refs/tags/v1' })), { allowed: true, rule: 'tenant tenant_abc grant gha-main' });
    assert.deepEqual(p.mayRead(gha, deploy, oidc({ repository: 'org/app', ref: 'refs/heads/dev' })), { allowed: false, rule: 'claims of gha match no grant of tenant tenant_abc' });
    assert.equal(p.mayRead(gha, deploy, oidc({ ref: 'refs/heads/main' })).allowed, false, 'a missing claim never matches');
    assert.equal(p.mayRead(gha, deploy, mtls).allowed, false, 'a certificate carries no claims');
    assert.deepEqual(p.mayRead(gha, deploy, oidc({ repository: 'org/app', ref: 'refs/heads/main', repository_owner: 'fork' })), { allowed: false, rule: 'tenant tenant_abc deny grant gha-no-fork' });
  });

  it('lets only listed coordinators issue, for configured tenants', () => {
    assert.equal(p.mayIssue(coordinator('ci', ['tenant_abc']), 'tenant_abc').allowed, true);
    assert.deepEqual(p.mayIssue(coordinator('cd', ['tenant_abc']), 'tenant_abc'), { allowed: false, rule: 'tenant tenant_abc coordinators excludes cd' });
    assert.equal(p.mayIssue(coordinator('ci', ['tenant_abc']), 'tenant_xyz').allowed, false);
    assert.equal(p.mayIssue(coordinator('ci', ['tenant_nope']), 'tenant_nope').allowed, false);
    assert.equal(p.maxTtlSeconds('tenant_abc'), 600);
    assert.equal(p.maxTtlSeconds('tenant_xyz'), 3600);
  });

  it('refuses a meaningless policy at start-up', () => {
    assert.throws(() => policy({ tenant_abc: { grants: [{ id: 'x', crefs: ['cref://tenant_xyz/**'] }] } }), /outside tenant tenant_abc/);
    assert.throws(() => policy({ tenant_abc: { grants: [{ id: 'x', crefs: ['cref://tenant_abc/a'] }, { id: 'x', crefs: ['cref://tenant_abc/b'] }] } }), /duplicate grant id x/);
    assert.throws(() => policy({ tenant_abc: { coordinators: ['ghost'] } }), /ghost is not a configured coordinator/);
    assert.throws(() => tenantPolicySchema.parse({ grants: [{ id: 'x', crefs: ['cref://tenant_abc/a'], effect: 'maybe' }] }));
    assert.throws(() => tenantPolicySchema.parse({ grants: [{ id: 'x', crefs: ['https://evil'] }] }));
  });
});
