/**
 * Issue 15.1: a token is accepted until `exp + clock_skew_seconds`, so its nonce must be held at least that long.
 * Before the fix the nonce was kept only until `exp` and the same envelope resolved a second time inside the
 * skew window. Memory store with the gateway clock moved into (exp, exp + skew]; Redis in real time, where the
 * key's own TTL decides.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { refused } from '../helpers/assertions.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

const crefs = { github: 'cref://tenant_abc/github_token' };

describe('nonce retention covers the clock-skew window after exp (memory store)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => gw?.close());

  it('refuses a replay at exp + 1 s and at exp + skew - 1 s, and the token check refuses after exp + skew', async () => {
    const skewMs = gw.config.gateway.clock_skew_seconds * 1000;
    const envelope = await gw.client('coordinator').issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 900 });
    const executor = gw.client('executor');
    await executor.resolve(envelope, { hmacSecrets: gw.hmac });
    const { exp } = JSON.parse(Buffer.from(envelope.token.split('.')[1]!, 'base64url').toString()) as { exp: number };
    const toward = (at: number) => gw.clock.advance(at - gw.clock.now());
    try {
      toward(exp * 1000 + 1000);
      await refused(gw, executor.resolve(envelope), 'replayed', 'nonce');
      toward(exp * 1000 + skewMs - 1000);
      await refused(gw, executor.resolve(envelope), 'replayed', 'nonce');
      toward(exp * 1000 + skewMs);
      await refused(gw, executor.resolve(envelope), 'expired', 'token');
    } finally {
      toward(Date.now());
    }
  });
});

describe('nonce retention covers the clock-skew window after exp (Redis, real time)', function () {
  this.timeout(30_000);
  let gw: TestGateway;
  let keyFile: string;
  before(async () => {
    keyFile = path.join(tmpdir(), `crefgate-mk-${randomBytes(6).toString('hex')}`);
    await writeFile(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    gw = await startGateway({
      gateway: { workers: false },
      mutate: (c) => {
        c.gateway.token_ttl_seconds = 10;
        c.gateway.clock_skew_seconds = 4;
        c.state = {
          kind: 'redis',
          redis: { url: process.env.REDIS_URL, key_prefix: `nr${randomBytes(4).toString('hex')}:`, command_timeout_ms: 500, connect_timeout_ms: 2000, master_keys: [{ key_id: 'k1', file: keyFile }] },
        };
      },
    });
  });
  after(async () => {
    await gw?.close();
    await rm(keyFile, { force: true });
  });

  it('refuses the replay of an envelope presented between exp and exp + skew', async () => {
    const envelope = await gw.client('coordinator').issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 600 });
    const executor = gw.client('executor');
    await executor.resolve(envelope, { hmacSecrets: gw.hmac });
    const { exp } = JSON.parse(Buffer.from(envelope.token.split('.')[1]!, 'base64url').toString()) as { exp: number };
    const wait = exp * 1000 + 1500 - Date.now();
    assert.ok(wait > 0 && wait < 13_000, `token life as configured (${wait} ms to wait)`);
    await delay(wait);
    await refused(gw, executor.resolve(envelope), 'replayed', 'nonce');
  });
});
