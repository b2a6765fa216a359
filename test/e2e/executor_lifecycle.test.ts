/**
 * Executor lifecycle over the admin API: the secret shown once, rotation inside and past the grace window,
 * disable effective on the next request everywhere (resolve, issuance, lease renewal), enable, list, describe.
 */
import assert from 'node:assert/strict';
import type { CrefgateClient } from '../../src/client/index.ts';
import { refused } from '../helpers/assertions.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

const uriOf = (id: string) => `spiffe://crefgate.local/tenant/tenant_abc/executor/${id}`;

describe('executor lifecycle', () => {
  let gw: TestGateway;
  let admin: CrefgateClient;
  let coordinator: CrefgateClient;
  const issue = (executor: string) =>
    coordinator.issueJob({ tenant: 'tenant_abc', executor, crefs: { github: 'cref://tenant_abc/github_token' }, ttl: 600 });

  /** Registers an executor with a fresh client certificate and returns its client. */
  async function enrol(id: string, graceSeconds?: number) {
    await gw.issueClient(id, uriOf(id));
    const created = await admin.registerExecutor({
      id,
      tenant: 'tenant_abc',
      identities: [uriOf(id)],
      allowed_crefs: ['cref://tenant_abc/**'],
      ...(graceSeconds === undefined ? {} : { grace_seconds: graceSeconds }),
    });
    return { created, client: gw.client(id) };
  }

  before(async () => {
    gw = await startGateway();
    admin = gw.client('admin');
    coordinator = gw.client('coordinator');
  });
  after(async () => {
    await gw.close();
  });

  it('shows the HMAC secret once at registration, never in list or describe', async () => {
    const { created } = await enrol('exec-10');
    assert.equal(Buffer.from(created.secret, 'base64url').length, 32);
    const described = await admin.describeExecutor('exec-10');
    const listed = await admin.listExecutors('tenant_abc');
    const text = JSON.stringify([described, listed]);
    assert.ok(!text.includes(created.secret));
    assert.equal(described.enabled, true);
    assert.equal(described.grace_seconds, 300, 'default grace window is 5 minutes');
    assert.deepEqual((described.secret_versions as Array<{ kid: string; status: string }>).map((v) => [v.kid, v.status]), [[created.kid, 'current']]);
    assert.ok((listed.executors as Array<{ id: string }>).some((e) => e.id === 'exec-10'));
    const audit = await gw.auditLines();
    assert.ok(audit.some((l) => l.action === 'executor.register' && l.executor === 'exec-10'));
    assert.ok(!JSON.stringify(audit).includes(created.secret), 'the secret never reaches the audit trail');
  });

  it('refuses a duplicate registration and non-admin callers', async () => {
    await refused(gw, admin.registerExecutor({ id: 'exec-10', tenant: 'tenant_abc', identities: [uriOf('exec-10')] }), 'conflict', 'policy');
    await refused(gw, coordinator.registerExecutor({ id: 'exec-99', tenant: 'tenant_abc', identities: [uriOf('exec-99')] }), 'forbidden', 'auth');
    await refused(gw, gw.client('executor').rotateExecutorSecret('exec-01'), 'forbidden', 'auth');
    await refused(gw, admin.rotateExecutorSecret('exec-nobody'), 'not_found', 'policy');
  });

  it('accepts the previous secret inside the grace window after a rotation', async () => {
    const { client } = await enrol('exec-11');
    const before = await issue('exec-11');
    const rotated = await admin.rotateExecutorSecret('exec-11');
    assert.notEqual(rotated.kid, before.kid);
    assert.ok(Math.abs(rotated.previous_accepted_until - (Math.floor(gw.clock.now() / 1000) + 300)) <= 1);
    gw.clock.advance(120_000);
    try {
      await client.resolve(before); // signed with the previous version, 2 minutes into a 5-minute grace
      const after = await issue('exec-11');
      assert.equal(after.kid, rotated.kid, 'new envelopes use the new version');
      await client.resolve(after);
      const statuses = ((await admin.describeExecutor('exec-11')).secret_versions as Array<{ status: string }>).map((v) => v.status);
      assert.deepEqual(statuses, ['current', 'grace']);
    } finally {
      gw.clock.advance(-120_000);
    }
  });

  it('refuses the previous secret past the grace window, at hmac', async () => {
    const { client } = await enrol('exec-12', 10);
    const before = await issue('exec-12');
    const rotated = await admin.rotateExecutorSecret('exec-12');
    assert.ok(Math.abs(rotated.previous_accepted_until - (Math.floor(gw.clock.now() / 1000) + 10)) <= 1);
    gw.clock.advance(11_000);
    try {
      const line = await refused(gw, client.resolve(before), 'unauthenticated', 'hmac');
      assert.match(line.reason!, /grace window/);
      const statuses = ((await admin.describeExecutor('exec-12')).secret_versions as Array<{ status: string }>).map((v) => v.status);
      assert.deepEqual(statuses, ['current', 'retired']);
      await client.resolve(await issue('exec-12'));
    } finally {
      gw.clock.advance(-11_000);
    }
  });

  it('disable takes effect on the next request: resolve, issuance and renewal; enable restores', async () => {
    const { client } = await enrol('exec-13');
    const held = await client.resolve(await issue('exec-13'));
    const pending = await issue('exec-13');
    assert.deepEqual(await admin.setExecutorEnabled('exec-13', false), { id: 'exec-13', enabled: false });
    await refused(gw, client.resolve(pending), 'forbidden', 'executor');
    await refused(gw, issue('exec-13'), 'forbidden', 'policy');
    await refused(gw, client.renewLease(held.secrets.github!.lease_id, 60), 'forbidden', 'lease');
    assert.equal((await admin.describeExecutor('exec-13')).enabled, false);
    const audit = await gw.auditLines();
    assert.ok(audit.some((l) => l.action === 'executor.disable' && l.executor === 'exec-13' && l.outcome === 'ok'));

    await admin.setExecutorEnabled('exec-13', true);
    await client.resolve(pending); // the refused attempt did not burn the nonce
  });
});
