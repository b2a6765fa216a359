import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { createAuditTrail } from '../../src/audit/index.ts';
import { auditStreamHandler } from '../../src/audit/trail/stream_route.ts';
import { auditFixture, resolveEvent } from './helpers.ts';

/** Reads a streaming response until `count` data records arrived. */
function readRecords(url: string, headers: Record<string, string>, count: number, sse: boolean): Promise<{ type: string; records: string[] }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      let buffer = '';
      const records: string[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        const sep = sse ? '\n\n' : '\n';
        let at: number;
        while ((at = buffer.indexOf(sep)) >= 0) {
          const record = buffer.slice(0, at);
          buffer = buffer.slice(at + sep.length);
          if (record.trim() !== '') records.push(record);
        }
        if (records.length >= count) {
          req.destroy();
          resolve({ type: String(res.headers['content-type']), records });
        }
      });
    });
    req.on('error', (err) => (err.message.includes('aborted') ? undefined : reject(err)));
  });
}

describe('audit stream route', () => {
  it('replays from a seq then follows live events, as NDJSON and as resumable SSE', async () => {
    const fx = auditFixture();
    const trail = await createAuditTrail(fx.config, { configDir: fx.dir });
    for (let n = 0; n < 5; n++) await trail.record(resolveEvent(n, n % 2 === 0 ? 'tenant_a' : 'tenant_b'));
    const app = new Koa();
    app.silent = true; // clients hang up mid-stream on purpose here
    app.use(auditStreamHandler(trail));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/audit/stream`;
    try {
      const ndjson = readRecords(`${base}?from_seq=2`, {}, 5, false);
      setTimeout(() => void trail.record(resolveEvent(5)).then(() => trail.record(resolveEvent(6))), 50);
      const got = await ndjson;
      assert.match(got.type, /application\/x-ndjson/);
      assert.deepEqual(got.records.map((l) => (JSON.parse(l) as { seq: number }).seq), [2, 3, 4, 5, 6]);

      const sse = await readRecords(base, { accept: 'text/event-stream', 'last-event-id': '3' }, 2, true);
      assert.match(sse.type, /text\/event-stream/);
      assert.match(sse.records[0]!, /^id: 4\nevent: audit\ndata: \{/);

      const tenantOnly = await readRecords(`${base}?from_seq=0&tenant=tenant_a`, {}, 3, false);
      assert.deepEqual(tenantOnly.records.map((l) => (JSON.parse(l) as { seq: number }).seq), [0, 2, 4]);
    } finally {
      server.close();
      await trail.close();
    }
  });
});
