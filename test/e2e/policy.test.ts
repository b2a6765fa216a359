/**
 * Policy end to end: grants and deny grants from config, coordinators per tenant, cross-tenant attempts, and
 * the deciding rule written into the audit line of every decision.
 */
import assert from 'node:assert/strict';
import type { CrefgateClient } from '../../src/client/index.ts';
import { refused } from '../helpers/assertions.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

const uriOf = (tenant: string, id: string) => `spiffe://crefgate.local/tenant/${tenant}/executor/${id}`;

describe('policy, end to end', () => {
  let gw: TestGateway;
  let ci: CrefgateClient;
  let cd: CrefgateClient;
  let admin: CrefgateClient;

  before(async () => {
    gw = await startGateway({
      mutate(config) {
        config.identities.push({ id: 'cd', role: 'coordinator', uri: 'spiffe://crefgate.local/coordinator/cd', tenants: ['tenant_abc', 'tenant_xyz'] });
        config.tenants.tenant_abc!.grants = [
          { id: 'no-db-for-exec-01', effect: 'deny', executors: ['exec-01'], crefs: ['cref://tenant_abc/db'] },
          { id: 'narrow-npm', effect: 'allow', executors: ['exec-20'], crefs: ['cref://tenant_abc/npm_token'] },
          { id: 'gha-only', effect: 'allow', executors: ['exec-21'], claims: { repository: ['org/app'] }, crefs: ['cref://tenant_abc/npm_token'] },
        ];
        config.tenants.tenant_xyz!.coordinators = ['ci'];
      },
    });
    await gw.issueClient('cd', 'spiffe://crefgate.local/coordinator/cd');
    ci = gw.client('coordinator');
    cd = gw.client('cd');
    admin = gw.client('admin');
    for (const id of ['exec-20', 'exec-21']) {
      await gw.issueClient(id, uriOf('tenant_abc', id));
      await admin.registerExecutor({ id, tenant: 'tenant_abc', identities: [uriOf('tenant_abc', id)] });
    }
    await gw.issueClient('exec-x1', uriOf('tenant_xyz', 'exec-x1'));
    await admin.registerExecutor({ id: 'exec-x1', tenant: 'tenant_xyz', identities: [uriOf('tenant_xyz', 'exec-x1')], allowed_crefs: ['cref://tenant_xyz/**'] });
  });
  after(async () => {
    await gw.close();
  });

  it('allows through a tenant grant and names it in the issue and resolve audit lines', async () => {
    const envelope = await ci.issueJob({ tenant: 'tenant_abc', executor: 'exec-20', crefs: { npm: 'cref://tenant_abc/npm_token' }, ttl: 60 });
    const result = await gw.client('exec-20').resolve(envelope);
    assert.match(result.secrets.npm!.value as string, /^npm_demo_/);
    const lines = await gw.auditLines();
    const issued = lines.find((l) => l.action === 'job.issue' && l.job_id === envelope.payload.job_id)!;
    assert.deepEqual((issued.detail as { cref_rules: string[] }).cref_rules, ['tenant tenant_abc grant narrow-npm']);
    const granted = lines.find((l) => l.action === 'resolve' && l.outcome === 'granted' && l.job_id === envelope.payload.job_id)!;
    assert.deepEqual((granted.detail as { rules: string[] }).rules, ['tenant tenant_abc grant narrow-npm']);
  });

  it('denies by default what no rule allows', async () => {
    const line = await refused(gw, ci.issueJob({ tenant: 'tenant_abc', executor: 'exec-20', crefs: { gh: 'cref://tenant_abc/github_token' }, ttl: 60 }), 'forbidden', 'policy');
    assert.match(line.reason!, /no rule of tenant tenant_abc allows exec-20/);
  });

  it('lets a deny grant win over the registration, naming the grant', async () => {
    const line = await refused(gw, ci.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { db: 'cref://tenant_abc/db' }, ttl: 60 }), 'forbidden', 'policy');
    assert.match(line.reason!, /deny grant no-db-for-exec-01/);
  });

  it('issues under a claim-bound grant but refuses a certificate-authenticated resolve at scope', async () => {
    const envelope = await ci.issueJob({ tenant: 'tenant_abc', executor: 'exec-21', crefs: { npm: 'cref://tenant_abc/npm_token' }, ttl: 60 });
    const line = await refused(gw, gw.client('exec-21').resolve(envelope), 'forbidden', 'scope');
    assert.match(line.reason!, /claims of exec-21 match no grant/);
  });

  it('refuses cross-tenant attempts: crefs, executors and coordinators', async () => {
    await refused(gw, ci.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { k: 'cref://tenant_xyz/deploy_key' }, ttl: 60 }), 'forbidden', 'policy');
    await refused(gw, ci.issueJob({ tenant: 'tenant_xyz', executor: 'exec-01', crefs: { k: 'cref://tenant_xyz/deploy_key' }, ttl: 60 }), 'forbidden', 'policy');
    await refused(gw, ci.issueJob({ tenant: 'tenant_abc', executor: 'exec-x1', crefs: { gh: 'cref://tenant_abc/github_token' }, ttl: 60 }), 'forbidden', 'policy');
    const line = await refused(gw, cd.issueJob({ tenant: 'tenant_xyz', executor: 'exec-x1', crefs: { k: 'cref://tenant_xyz/deploy_key' }, ttl: 60 }), 'forbidden', 'policy');
    assert.match(line.reason!, /coordinators excludes cd/);
    const envelope = await ci.issueJob({ tenant: 'tenant_xyz', executor: 'exec-x1', crefs: { k: 'cref://tenant_xyz/deploy_key' }, ttl: 60 });
    await refused(gw, gw.client('executor').resolve(envelope), 'forbidden', 'executor');
    await gw.client('exec-x1').resolve(envelope);
  });

  it('caps the job TTL at the tenant maximum', async () => {
    await refused(gw, ci.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { gh: 'cref://tenant_abc/github_token' }, ttl: 3601 }), 'forbidden', 'policy');
  });
});
