import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createAuditTrail } from '../../src/audit/index.ts';
import { until } from '../helpers/kit.ts';
import { auditFixture, resolveEvent, SECRET_NONCE, SECRET_TOKEN, writeSigningKey } from './helpers.ts';

/** A loopback collector that fails the first `failFirst` posts with 503 and records the bodies it accepted. */
async function collector(failFirst: number) {
  const bodies: { auth: string | undefined; body: string }[] = [];
  let calls = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      calls++;
      if (calls <= failFirst) {
        res.writeHead(503).end();
        return;
      }
      bodies.push({ auth: req.headers.authorization, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"text":"Success","code":0}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/collector/event`, bodies, close: () => server.close() };
}

/** `until` of the test kit for a synchronous condition: true, or "not yet". */
const reached = (check: () => boolean) => async () => (check() ? true : undefined);

describe('audit sinks: HTTP spool, Redis Streams, and no secret anywhere', function () {
  this.timeout(20_000);

  it('spools through a SIEM outage without dropping, writes Redis entries, and leaks no secret value', async () => {
    const siem = await collector(3);
    const fx = auditFixture();
    writeFileSync(path.join(fx.dir, 'hec.token'), 'hec-token-123\n');
    const stream = `crefgate:audit:test:${Date.now()}`;
    const config = {
      ...fx.config,
      signing_key_file: writeSigningKey(fx.dir),
      sinks: [
        ...fx.config.sinks,
        { type: 'http' as const, name: 'siem', required: true, url: siem.url, format: 'hec' as const, token_file: 'hec.token', spool_dir: 'spool', max_batch_events: 7, timeout_ms: 2000, max_backoff_ms: 200 },
        { type: 'redis' as const, name: 'redis', required: true, url: process.env.REDIS_URL, stream },
      ],
    };
    const trail = await createAuditTrail(config, { configDir: fx.dir });
    await Promise.all(Array.from({ length: 40 }, (_, n) => trail.record(resolveEvent(n))));
    assert.deepEqual((await trail.health()).map((h) => h.name), ['file', 'siem', 'redis']);
    await until('all 40 events at the SIEM', reached(() => siem.bodies.reduce((sum, b) => sum + b.body.split('\n').length, 0) >= 40), 10_000);
    // The trailing checkpoint of the burst (within the 1 s interval) is shipped too.
    await until('the size-40 checkpoint at the SIEM', reached(() => siem.bodies.some((b) => b.body.includes('"sourcetype":"crefgate:checkpoint"') && b.body.includes('"size":40'))), 10_000);
    await trail.close();
    siem.close();

    type Hec = { sourcetype: string; event: { seq: number; type?: string; size?: number; note?: string } };
    const posted = siem.bodies.flatMap((b) => b.body.split('\n').map((l) => JSON.parse(l) as Hec));
    const delivered = posted.filter((p) => p.sourcetype === 'crefgate:audit').map((p) => p.event.seq);
    assert.deepEqual(delivered, Array.from({ length: 40 }, (_, i) => i), 'every event delivered once, in order, after the outage');
    assert.equal(siem.bodies[0]!.auth, 'Splunk hec-token-123');
    // Checkpoints travel with the events: the SIEM holds the signed checkpoint of the whole log, byte for byte.
    const local = readFileSync(`${fx.logPath}.checkpoints`, 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { note: string }).note);
    const shipped = posted.filter((p) => p.sourcetype === 'crefgate:checkpoint').map((p) => p.event);
    assert.ok(shipped.length > 0 && shipped.every((c) => c.type === 'checkpoint'));
    assert.deepEqual(shipped.map((c) => c.note), local, 'every checkpoint of the local file reached the SIEM, in order');
    assert.equal(shipped.at(-1)!.size, 40);
    let lastEventAt = -1;
    posted.forEach((p, i) => {
      if (p.sourcetype === 'crefgate:audit') lastEventAt = i;
      else assert.ok(p.event.size! <= posted.slice(0, i).filter((q) => q.sourcetype === 'crefgate:audit').length, 'a checkpoint ships after the events it covers');
    });

    const redis = new Redis(process.env.REDIS_URL!);
    const entries = await redis.xrange(stream, '-', '+');
    const redisCheckpoints = await redis.xrange(`${stream}:checkpoints`, '-', '+');
    const redisText = entries.map(([, fields]) => fields.join(' ')).join('\n');
    await redis.del(stream, `${stream}:checkpoints`);
    redis.disconnect();
    assert.equal(entries.length, 40);
    assert.deepEqual(redisCheckpoints.map(([, f]) => f[f.indexOf('note') + 1]), local, 'and every checkpoint reached Redis');
    assert.ok(lastEventAt >= 0);

    // Everything any sink holds: log, checkpoints, keys, spool, collector bodies, Redis entries.
    const dump = [
      ...readdirSync(path.dirname(fx.logPath)).map((f) => readFileSync(path.join(path.dirname(fx.logPath), f), 'utf8')),
      ...readdirSync(path.join(fx.dir, 'spool')).map((f) => readFileSync(path.join(fx.dir, 'spool', f), 'utf8')),
      ...siem.bodies.map((b) => b.body),
      redisText,
    ].join('\n');
    for (const secret of [SECRET_TOKEN, SECRET_NONCE, 'super-secret-token-value']) assert.ok(!dump.includes(secret), `secret ${secret} leaked`);
    assert.ok(dump.includes(trail.hash('tenant_abc', `${SECRET_TOKEN}-3`)), 'the HMAC of the token is what is written');
  });

  it('writes checkpoints to stdout too, after the events they cover, as lines without a seq', async () => {
    const fx = auditFixture();
    const config = { ...fx.config, signing_key_file: writeSigningKey(fx.dir), sinks: [...fx.config.sinks, { type: 'stdout' as const, name: 'stdout', required: false }] };
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = chunk.toString();
      if (text.includes('"origin":"test.example/replica-1"')) {
        written.push(text);
        const done = rest.find((r) => typeof r === 'function') as ((err?: Error) => void) | undefined;
        done?.();
        return true;
      }
      return original(chunk, ...(rest as []));
    }) as typeof process.stdout.write;
    try {
      const trail = await createAuditTrail(config, { configDir: fx.dir });
      await Promise.all(Array.from({ length: 5 }, (_, n) => trail.record(resolveEvent(n))));
      await trail.close();
    } finally {
      process.stdout.write = original;
    }
    const lines = written.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { seq?: number; type?: string; size?: number; note?: string });
    const checkpoints = lines.filter((l) => l.type === 'checkpoint');
    const local = readFileSync(`${fx.logPath}.checkpoints`, 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { note: string }).note);
    assert.deepEqual(checkpoints.map((c) => c.note), local);
    assert.ok(checkpoints.every((c) => c.seq === undefined));
    assert.deepEqual(lines.filter((l) => l.type === undefined).map((l) => l.seq), [0, 1, 2, 3, 4]);
    const last = lines.findIndex((l) => l.type === 'checkpoint' && l.size === 5);
    assert.ok(last > lines.findIndex((l) => l.seq === 4), 'the checkpoint of 5 events comes after event 4');
  });

  it('fails closed when the only required sink is unreachable Redis, within the sink timeout', async () => {
    const fx = auditFixture({ sink_timeout_ms: 300 });
    const config = {
      ...fx.config,
      sinks: [
        { ...fx.config.sinks[0]!, required: false },
        { type: 'redis' as const, name: 'redis', required: true, url: 'redis://127.0.0.1:1', stream: 'x' },
      ],
    };
    const trail = await createAuditTrail(config, { configDir: fx.dir });
    const started = Date.now();
    await assert.rejects(trail.record(resolveEvent(1)), (err: Error & { code?: string }) => err.code === 'unavailable');
    assert.ok(Date.now() - started < 3000);
    await trail.close();
    assert.equal(readFileSync(fx.logPath, 'utf8'), '', 'a best-effort sink never sees an event that failed');
  });
});
