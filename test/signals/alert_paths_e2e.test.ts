/**
 * The alerts raised outside the detector take the one alert path through a real gateway: a witness that cannot be
 * reached raises `witness_unreachable`, which is in the audit log, counted in `crefgate_security_alerts_total` and
 * POSTed to the alert webhook, with the detector itself switched off. Before the alert outlets
 * (src/signals/alert_outlets.ts) it was only written to the log.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cosignerKeyString } from '../../src/audit/log/cosignature.ts';
import { signerFromPem } from '../../src/audit/log/note.ts';
import { writeSigningKey } from '../audit/helpers.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/kit.ts';
import { startWebhookSink, type WebhookSink } from './webhook_sink.ts';

describe('alerts outside the detector, through the gateway', function () {
  this.timeout(20_000);
  let gw: TestGateway;
  let hook: WebhookSink;
  let keys: string;
  let witnessUrl: string;

  before(async () => {
    hook = await startWebhookSink();
    // A port that was just closed: the witness is unreachable.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    witnessUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((r) => probe.close(r));
    keys = mkdtempSync(path.join(os.tmpdir(), 'crefgate-alert-paths-'));
    const signingKey = writeSigningKey(keys);
    const witnessKey = cosignerKeyString(signerFromPem('witness.test/w1', generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' })));
    gw = await startGateway({
      mutate: (c) => {
        c.signals.enabled = false;
        c.signals.webhook = { url: hook.url, timeout_ms: 1000, attempts: 2, queue_limit: 10 };
        c.audit.signing_key_file = signingKey;
        c.audit.witnesses = [{ url: witnessUrl, key: witnessKey, timeout_ms: 200, attempts: 1 }];
      },
    });
  });
  after(async () => {
    await gw?.close();
    await hook?.close();
    rmSync(keys, { recursive: true, force: true });
  });

  it('a witness_unreachable alert is in the log, counted, and reaches the webhook', async () => {
    const coordinator = gw.client('coordinator');
    await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 });
    const alert = await until('the witness alert', async () => (await gw.auditLines()).find((l) => l.action === 'alert' && l.reason === 'witness_unreachable'), 10_000);
    assert.equal((alert.detail as Record<string, unknown>).witness, witnessUrl);
    await until('the webhook delivery', async () => (hook.received.some((r) => r.signal === 'witness_unreachable') ? true : undefined), 10_000);
    const sent = hook.received.find((r) => r.signal === 'witness_unreachable')!;
    assert.equal(sent.type, 'crefgate.alert');
    assert.deepEqual(sent.subject, { kind: 'witness', id: witnessUrl });
    assert.match(await gw.gateway.ops.metrics.registry.metrics(), /crefgate_security_alerts_total\{signal="witness_unreachable"\} 1\n/);
  });
});
