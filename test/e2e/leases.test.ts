import assert from 'node:assert/strict';
import type { CrefgateClient } from '../../src/client/index.ts';
import { sweepExpiredLeases } from '../../src/leases/expiry_sweeper.ts';
import { assertNoSecretLeak, refused } from '../helpers/assertions.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

describe('leases and executor secret rotation', () => {
  let gw: TestGateway;
  let coordinator: CrefgateClient;
  let executor: CrefgateClient;
  let admin: CrefgateClient;
  const issue = (ttl = 600) => coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { github: 'cref://tenant_abc/github_token' }, ttl });

  before(async () => {
    gw = await startGateway({
      mutate: (config) => {
        config.leases.static_lease_seconds = 60;
        config.executors[0]!.grace_seconds = 120;
      },
      gateway: { workers: false },
    });
    coordinator = gw.client('coordinator');
    executor = gw.client('executor');
    admin = gw.client('admin');
  });
  after(async () => {
    await assertNoSecretLeak(gw);
    await gw.close();
  });

  it('gives a static secret a renewable lease shorter than the job, and caps renewal at the job end', async () => {
    const envelope = await issue(600);
    const { secrets } = await executor.resolve(envelope);
    const lease = secrets.github!;
    assert.equal(lease.renewable, true);
    assert.ok(lease.lease_duration <= 60);
    const renewed = await executor.renewLease(lease.lease_id, 100_000);
    assert.equal(renewed.expires_at, envelope.payload.expires_at, 'never past the job end');
    assert.equal(renewed.renewable, false);
    await refused(gw, executor.renewLease(lease.lease_id, 10), 'forbidden', 'lease');
  });

  it('lets the job\'s coordinator renew and revoke, and refuses renewing a revoked lease', async () => {
    const envelope = await issue();
    const { secrets } = await executor.resolve(envelope);
    const renewed = await coordinator.renewLease(secrets.github!.lease_id, 30);
    assert.ok(renewed.lease_duration <= 30 && renewed.lease_duration >= 29);
    await coordinator.revokeLease(secrets.github!.lease_id);
    await refused(gw, executor.renewLease(secrets.github!.lease_id, 30), 'expired', 'lease');
    const line = (await gw.auditLines()).find((l) => l.action === 'lease.revoke' && l.lease_ids?.includes(secrets.github!.lease_id));
    assert.equal(line?.outcome, 'ok');
  });

  it('refuses unknown leases with not_found and malformed ids with malformed', async () => {
    await refused(gw, executor.renewLease(`lease_${'A'.repeat(22)}`, 30), 'not_found', 'lease');
    await refused(gw, executor.renewLease('../../etc/passwd', 30), 'malformed', 'shape');
    await refused(gw, executor.renewLease(`lease_${'A'.repeat(22)}`, -5), 'malformed', 'shape');
  });

  it('completing a job revokes every lease and audits it', async () => {
    const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { a: 'cref://tenant_abc/github_token', b: 'cref://tenant_abc/npm_token' }, ttl: 600 });
    const { secrets } = await executor.resolve(envelope);
    const result = await executor.completeJob(envelope.payload.job_id);
    assert.equal(result.revoked_leases, 2);
    for (const s of Object.values(secrets)) {
      const stored = await gw.gateway.services.state.leases.get(s.lease_id);
      assert.equal(stored?.state, 'revoked');
    }
    assert.deepEqual((await executor.completeJob(envelope.payload.job_id)).revoked_leases, 0, 'idempotent');
  });

  it('the expiry sweeper ends leases whose time is up, once, and audits it', async () => {
    const envelope = await issue(600);
    const { secrets } = await executor.resolve(envelope);
    gw.clock.advance(61_000);
    try {
      assert.ok((await sweepExpiredLeases(gw.gateway.services)) >= 1);
      assert.equal((await gw.gateway.services.state.leases.get(secrets.github!.lease_id))?.state, 'expired');
      assert.equal(await sweepExpiredLeases(gw.gateway.services), 0, 'each lease is claimed once');
      const line = (await gw.auditLines()).find((l) => l.action === 'lease.expire' && l.lease_ids?.includes(secrets.github!.lease_id));
      assert.equal(line?.outcome, 'ok');
      await refused(gw, executor.renewLease(secrets.github!.lease_id, 10), 'expired', 'lease');
    } finally {
      gw.clock.advance(-61_000);
    }
  });

  it('accepts the previous HMAC secret inside the grace window and refuses it after', async () => {
    const before1 = await issue();
    const before2 = await issue();
    const rotated = await admin.rotateExecutorSecret('exec-01');
    assert.match(rotated.secret, /^[A-Za-z0-9_-]{43}$/);
    // Inside the window: an envelope signed with the previous secret still resolves.
    await executor.resolve(before1);
    const after = await issue();
    assert.equal(after.kid, rotated.kid, 'new envelopes use the new secret');
    await executor.resolve(after, { hmacSecrets: new Map([[rotated.kid, Buffer.from(rotated.secret, 'base64url')]]) });
    gw.clock.advance(121_000);
    try {
      await refused(gw, executor.resolve(before2), 'unauthenticated', 'hmac');
    } finally {
      gw.clock.advance(-121_000);
    }
    const described = await admin.get<{ secret_versions: Array<{ kid: string; status: string }> }>('/v1/executors/exec-01');
    assert.deepEqual(described.secret_versions.map((v) => v.status), ['current', 'grace']);
    assert.ok(!JSON.stringify(described).includes(rotated.secret), 'describe never shows a secret');
  });

  it('refuses executor administration to non-admins', async () => {
    await refused(gw, coordinator.rotateExecutorSecret('exec-01'), 'forbidden', 'auth');
    await refused(gw, executor.setExecutorEnabled('exec-01', false), 'forbidden', 'auth');
  });
});
