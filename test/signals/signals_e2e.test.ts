/** Signals through a real gateway: a replay becomes an alert line, a webhook call and an automatic disable. */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { refused } from '../helpers/assertions.ts';
import { startGateway, type AuditLine, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/kit.ts';
import { startWebhookSink, type WebhookSink } from './webhook_sink.ts';

describe('security signals through the gateway', () => {
  let gw: TestGateway;
  let hook: WebhookSink;

  before(async () => {
    hook = await startWebhookSink();
    gw = await startGateway({
      mutate: (c) => {
        c.signals.enabled = true;
        c.signals.auto_disable.after_replays = 2;
        c.signals.webhook = { url: hook.url, timeout_ms: 1000, attempts: 2, queue_limit: 10 };
      },
    });
  });
  after(async () => {
    await gw.close();
    await hook?.close();
  });

  it('alerts on each replay, disables the executor after two, and only an admin enables it again', async () => {
    const coordinator = gw.client('coordinator');
    const executor = gw.client('executor');
    const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 });
    await executor.resolve(envelope);
    const first = await refused(gw, executor.resolve(envelope), 'replayed', 'nonce');
    const alert = await until('replay alert', async () => (await gw.auditLines()).find((l: AuditLine) => l.action === 'alert' && l.request_id === first.request_id));
    assert.equal(alert.reason, 'replay');
    assert.equal(alert.job_id, envelope.payload.job_id);
    assert.ok(!JSON.stringify(alert).includes(envelope.payload.nonce), 'no nonce in clear');
    await until('webhook delivery', async () => (hook.received.some((r) => r.signal === 'replay') ? true : undefined));
    assert.equal(hook.received[0]!.type, 'crefgate.alert');
    assert.ok(!JSON.stringify(hook.received).includes(envelope.payload.nonce));

    await refused(gw, executor.resolve(envelope), 'replayed', 'nonce');
    const disabled = await until('automatic disable', async () => (await gw.auditLines()).find((l) => l.action === 'executor.disable'));
    assert.equal((disabled.actor as { type: string }).type, 'system');
    assert.equal(disabled.reason, 'automatic: replay');

    const next = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 }).catch((err: unknown) => err);
    assert.ok(next instanceof Error, 'a disabled executor is issued no jobs');
    await gw.client('admin').setExecutorEnabled('exec-01', true);
    const again = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 });
    await executor.resolve(again);
    assert.match(await gw.gateway.ops.metrics.registry.metrics(), /crefgate_security_alerts_total\{signal="replay"\} 2/);
  });

  it('stays silent on ordinary traffic', async () => {
    const before = (await gw.auditLines()).filter((l) => l.action === 'alert').length;
    const coordinator = gw.client('coordinator');
    const executor = gw.client('executor');
    for (let i = 0; i < 10; i++) {
      const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 });
      await executor.resolve(envelope);
    }
    await delay(100);
    assert.equal((await gw.auditLines()).filter((l) => l.action === 'alert').length, before);
  });
});
