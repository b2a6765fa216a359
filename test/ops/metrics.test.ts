import assert from 'node:assert/strict';
import type { CrefgateClient } from '../../src/client/index.ts';
import { assertNoSecretLeak, refused } from '../helpers/assertions.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { opsGet, sample } from './ops_helpers.ts';

describe('ops: metrics and the ops listener', () => {
  let gw: TestGateway;
  let coordinator: CrefgateClient;
  let executor: CrefgateClient;

  before(async () => {
    gw = await startGateway();
    coordinator = gw.client('coordinator');
    executor = gw.client('executor');
  });
  after(async () => {
    await assertNoSecretLeak(gw);
    await gw.close();
  });

  it('listens on its own plain-HTTP port, apart from the mTLS listener', async () => {
    const ops = gw.gateway.ops.address();
    assert.ok(ops !== undefined);
    assert.notEqual(ops.port, Number(new URL(gw.url).port));
    assert.equal((await opsGet(gw, '/v1/sys/health')).status, 200);
    const ready = await opsGet(gw, '/v1/sys/ready');
    assert.equal(ready.status, 200);
    assert.equal((ready.json as { ready: boolean }).ready, true);
    assert.equal((await opsGet(gw, '/nothing')).status, 404);
  });

  it('counts resolves by outcome and failing step, leases, and latencies per route, adapter and audit sink', async () => {
    const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { github: 'cref://tenant_abc/github_token', db: 'cref://tenant_abc/db' }, ttl: 600 });
    await executor.resolve(envelope);
    await refused(gw, executor.resolve(envelope), 'replayed', 'nonce');
    const text = (await opsGet(gw, '/metrics')).text;
    assert.equal(sample(text, 'crefgate_resolves_total', { outcome: 'granted', code: '', step: '' }), 1);
    assert.equal(sample(text, 'crefgate_resolves_total', { outcome: 'denied', code: 'replayed', step: 'nonce' }), 1);
    assert.equal(sample(text, 'crefgate_http_request_duration_seconds_count', { method: 'POST', route: '/v1/resolve', status: '200' }), 1);
    assert.equal(sample(text, 'crefgate_http_request_duration_seconds_count', { method: 'POST', route: '/v1/jobs', status: '201' }), 1);
    assert.equal(sample(text, 'crefgate_adapter_call_duration_seconds_count', { mount: 'local', adapter: 'local', op: 'read', outcome: 'ok' }), 2);
    assert.equal(sample(text, 'crefgate_leases_issued_total'), 2);
    assert.equal(sample(text, 'crefgate_leases_active'), 2);
    assert.equal(sample(text, 'crefgate_revocation_queue_depth'), 0);
    assert.equal(sample(text, 'crefgate_circuit_breaker_state', { mount: 'local', adapter: 'local', state: 'closed' }), 1);
    assert.equal(sample(text, 'crefgate_circuit_breaker_state', { mount: 'local', adapter: 'local', state: 'open' }), 0);
    assert.ok(sample(text, 'crefgate_audit_sink_write_duration_seconds_count', { sink: 'file', required: 'true', outcome: 'ok' })! >= 1);
    assert.ok(sample(text, 'crefgate_audit_record_duration_seconds_count', { outcome: 'ok' })! >= 3);
    assert.equal(sample(text, 'crefgate_audit_sink_lag_events', { sink: 'file' }), 0);
    assert.match(text, /# TYPE crefgate_state_store_errors_total counter/);

    await executor.completeJob(envelope.payload.job_id);
    const after = (await opsGet(gw, '/metrics')).text;
    assert.equal(sample(after, 'crefgate_leases_revoked_total', { cause: 'job_completed' }), 2);
    assert.equal(sample(after, 'crefgate_leases_active'), 0);
  });

  it('logs one line per request with its id, route template, status and identity, and nothing of the body', async () => {
    const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { npm: 'cref://tenant_abc/npm_token' }, ttl: 600 });
    const result = await executor.resolve(envelope);
    const lines = gw.logs.flatMap((l) => l.split('\n')).filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    const resolveLines = lines.filter((l) => l.msg === 'request' && l.route === '/v1/resolve' && l.status === 200);
    assert.ok(resolveLines.length >= 1);
    const line = resolveLines.at(-1)!;
    assert.match(String(line.request_id), /^req_/);
    assert.deepEqual(line.identity, { id: 'exec-01', role: 'executor', auth: 'mtls' });
    assert.equal(typeof line.duration_ms, 'number');
    const all = gw.logs.join('');
    for (const sensitive of [envelope.payload.nonce, envelope.token, envelope.sig, result.secrets.npm!.value as string, ...[...gw.hmac.values()].map((b) => b.toString('base64url'))]) {
      assert.ok(!all.includes(sensitive), 'a secret, token, nonce or tag reached the logs');
    }
  });

  it('serves the OpenAPI document on both listeners', async () => {
    const viaOps = (await opsGet(gw, '/v1/openapi.json')).json as { openapi: string };
    assert.equal(viaOps.openapi, '3.1.0');
    assert.deepEqual(await executor.get('/v1/openapi.json'), viaOps);
  });
});
