import assert from 'node:assert/strict';
import type { CrefgateClient, CrefgateError } from '../../src/client/index.ts';
import { assertNoSecretLeak, refused } from '../helpers/assertions.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

describe('resolve, end to end over mTLS', () => {
  let gw: TestGateway;
  let coordinator: CrefgateClient;
  let executor: CrefgateClient;
  const issue = (crefs: Record<string, string> = { github: 'cref://tenant_abc/github_token' }, ttl = 600) =>
    coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl });

  before(async () => {
    gw = await startGateway();
    coordinator = gw.client('coordinator');
    executor = gw.client('executor');
  });
  after(async () => {
    await assertNoSecretLeak(gw);
    await gw.close();
  });

  it('issues an envelope and resolves every cref under a lease bounded by the job', async () => {
    const envelope = await issue({ github: 'cref://tenant_abc/github_token', db: 'cref://tenant_abc/db' });
    assert.equal(envelope.payload.executor, 'exec-01');
    assert.equal(envelope.payload.expires_at - envelope.payload.issued_at, 600);
    const result = await executor.resolve(envelope, { hmacSecrets: gw.hmac });
    assert.equal(result.job_id, envelope.payload.job_id);
    assert.match(result.secrets.github!.value as string, /^ghp_demo_/);
    assert.deepEqual(Object.keys(result.secrets.db!.value as object).sort(), ['password', 'username']);
    for (const secret of Object.values(result.secrets)) {
      assert.match(secret.lease_id, /^lease_/);
      assert.ok(secret.expires_at <= envelope.payload.expires_at);
      assert.ok(secret.lease_duration > 0 && secret.lease_duration <= 600);
    }
    const lines = await gw.auditLines();
    const granted = lines.find((l) => l.action === 'resolve' && l.outcome === 'granted' && l.job_id === envelope.payload.job_id)!;
    assert.deepEqual(granted.lease_ids!.sort(), [result.secrets.github!.lease_id, result.secrets.db!.lease_id].sort());
    const issued = lines.find((l) => l.action === 'job.issue' && l.job_id === envelope.payload.job_id)!;
    assert.equal(issued.outcome, 'granted');
  });

  it('writes tokens and nonces into the audit trail only as keyed HMACs', async () => {
    const envelope = await issue();
    await executor.resolve(envelope);
    const text = JSON.stringify(await gw.auditLines());
    assert.ok(!text.includes(envelope.payload.nonce), 'nonce in clear');
    assert.ok(!text.includes(envelope.token), 'token in clear');
    assert.ok(!text.includes(envelope.sig), 'HMAC tag in clear');
    assert.match(text, /hmac-sha256:[0-9a-f]{64}/);
  });

  it('publishes the token verification keys at /v1/jwks and /.well-known/jwks.json', async () => {
    const jwks = await executor.get<{ keys: Array<{ kid: string; kty: string; d?: string }> }>('/v1/jwks');
    const wellKnown = await executor.get<{ keys: unknown[] }>('/.well-known/jwks.json');
    assert.deepEqual(wellKnown, jwks);
    assert.equal(jwks.keys[0]!.kty, 'RSA');
    assert.equal(jwks.keys[0]!.d, undefined, 'never a private member');
  });

  it('lets exactly one of twenty concurrent presentations of one envelope succeed', async () => {
    const envelope = await issue();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => executor.resolve(envelope)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const replayed = results.filter((r) => r.status === 'rejected' && (r.reason as CrefgateError).code === 'replayed');
    assert.equal(ok.length, 1);
    assert.equal(replayed.length, 19);
  });

  it('refuses a resolve after the job was completed', async () => {
    const envelope = await issue();
    await coordinator.completeJob(envelope.payload.job_id);
    await refused(gw, executor.resolve(envelope), 'expired', 'nonce');
  });

  it('refuses issuance outside policy: foreign tenant, unknown executor, cref outside tenant, ttl over maximum, wrong role', async () => {
    await refused(gw, coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { x: 'cref://tenant_xyz/deploy_key' }, ttl: 60 }), 'forbidden', 'policy');
    await refused(gw, coordinator.issueJob({ tenant: 'tenant_abc', executor: 'nobody', crefs: { x: 'cref://tenant_abc/github_token' }, ttl: 60 }), 'forbidden', 'policy');
    await refused(gw, coordinator.issueJob({ tenant: 'tenant_nope', executor: 'exec-01', crefs: { x: 'cref://tenant_nope/a' }, ttl: 60 }), 'forbidden', 'policy');
    await refused(gw, coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { x: 'cref://tenant_abc/github_token' }, ttl: 3601 }), 'forbidden', 'policy');
    await refused(gw, executor.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { x: 'cref://tenant_abc/github_token' }, ttl: 60 }), 'forbidden', 'auth');
  });

  it('answers a backend miss with not_found at the backend step, and leaves the envelope usable', async () => {
    const envelope = await issue({ missing: 'cref://tenant_abc/not_there' });
    const line = await refused(gw, executor.resolve(envelope), 'not_found', 'backend');
    assert.match(line.reason!, /not_found/);
    // The nonce reservation was released, so a retry is judged afresh instead of as a replay.
    await refused(gw, executor.resolve(envelope), 'not_found', 'backend');
  });
});
