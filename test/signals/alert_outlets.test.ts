/**
 * Every durable alert is counted and sent to the webhook, whoever raised it (src/signals/alert_outlets.ts): a
 * witness alert raised inside the audit trail goes the same way as a detector alert, and a refused one not at all.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { createAuditTrail } from '../../src/audit/index.ts';
import { cosignerKeyString } from '../../src/audit/log/cosignature.ts';
import { signerFromPem } from '../../src/audit/log/note.ts';
import { observableTrail } from '../../src/audit/trail/observer.ts';
import { raiseAlert, SIGNAL_NAMES } from '../../src/signals/alert.ts';
import { AlertOutlets } from '../../src/signals/alert_outlets.ts';
import { auditFixture, resolveEvent, writeSigningKey } from '../audit/helpers.ts';

async function receiver(): Promise<{ url: string; bodies: Array<Record<string, unknown>>; close: () => Promise<void> }> {
  const bodies: Array<Record<string, unknown>> = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(text) as Record<string, unknown>);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/alerts`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const webhookConfig = (url: string) => ({ url, timeout_ms: 1000, attempts: 1, queue_limit: 10 });

describe('alert outlets', function () {
  this.timeout(20_000);

  it('a witness alert raised inside the trail is counted and reaches the webhook', async () => {
    const hook = await receiver();
    const fx = auditFixture();
    const key = writeSigningKey(fx.dir);
    const witnessKey = cosignerKeyString(signerFromPem('witness.test/w1', generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' })));
    const url = `http://127.0.0.1:${await closedPort()}`;
    const trail = await createAuditTrail({ ...fx.config, signing_key_file: key, witnesses: [{ url, key: witnessKey, timeout_ms: 200, attempts: 1 }] }, { configDir: fx.dir });
    const registry = new Registry();
    const outlets = new AlertOutlets({ registry, webhook: webhookConfig(hook.url), now: Date.now, notice: () => undefined });
    trail.observe(outlets.observer());
    try {
      for (let n = 0; n < 5; n++) await trail.record(resolveEvent(n));
      await until('the webhook delivery', () => hook.bodies.length > 0);
      assert.match(await registry.metrics(), /crefgate_security_alerts_total\{signal="witness_unreachable"\} 1\n/);
      const body = hook.bodies[0]!;
      assert.equal(body.type, 'crefgate.alert');
      assert.equal(body.signal, 'witness_unreachable');
      assert.deepEqual(body.subject, { kind: 'witness', id: url });
      assert.equal((body.facts as Record<string, unknown>).witness, url);
    } finally {
      await trail.close();
      await outlets.close();
      await hook.close();
    }
  });

  it('counts and sends a durable alert once, never a refused one, and names every raiser in SignalName', async () => {
    const hook = await receiver();
    let refuse = false;
    const trail = observableTrail({
      record: async () => {
        if (refuse) throw new Error('sink down');
        return { seq: 0, event_id: 'e' };
      },
      hash: () => '',
      health: async () => [],
      close: async () => undefined,
    });
    const registry = new Registry();
    const outlets = new AlertOutlets({ registry, webhook: webhookConfig(hook.url), now: () => 42, notice: () => undefined });
    trail.observe(outlets.observer());
    const alert = { signal: 'replay' as const, subject: { kind: 'executor' as const, id: 'exec-01' }, facts: { replays_today: 1 } };
    try {
      refuse = true;
      await assert.rejects(raiseAlert(trail, 'r1', alert));
      refuse = false;
      await raiseAlert(trail, 'r1', alert);
      await until('the webhook delivery', () => hook.bodies.length > 0);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(hook.bodies.length, 1, 'the refused alert was not sent');
      assert.match(await registry.metrics(), /crefgate_security_alerts_total\{signal="replay"\} 1\n/);
      assert.deepEqual(hook.bodies[0], { type: 'crefgate.alert', signal: 'replay', subject: { kind: 'executor', id: 'exec-01' }, facts: { replays_today: 1 }, replica: 'r1', at: 42 });
      for (const name of ['witness_unreachable', 'witness_refused', 'state_lost', 'state_reseeded']) assert.ok(SIGNAL_NAMES.includes(name as never), name);
    } finally {
      await outlets.close();
      await hook.close();
    }
  });
});
