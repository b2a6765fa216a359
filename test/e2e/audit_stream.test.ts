import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { refused } from '../helpers/assertions.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/until.ts';

/** Reads NDJSON lines of the stream as `who` until `count` lines (or `done` holds), then hangs up. */
function readStream(gw: TestGateway, who: string, query: string, count: number, done?: (lines: Array<Record<string, unknown>>) => boolean): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${gw.url}/v1/audit/stream?${query}`, {
      ca: readFileSync(path.join(gw.dir, 'pki', 'ca.crt')),
      cert: readFileSync(path.join(gw.dir, 'clients', `${who}.crt`)),
      key: readFileSync(path.join(gw.dir, 'clients', `${who}.key`)),
      headers: { accept: 'application/x-ndjson' },
    }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
      let buffer = '';
      const lines: Array<Record<string, unknown>> = [];
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
          if (done === undefined ? lines.length === count : done(lines)) {
            req.destroy();
            return resolve(lines);
          }
        }
      });
    });
    req.on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
    setTimeout(() => reject(new Error('stream did not deliver in time')), 10_000).unref();
  });
}

describe('live audit stream', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => gw.close());

  it('streams committed events to the auditor from a seq, in order, then follows live ones', async () => {
    const coordinator = gw.client('coordinator');
    const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 });
    const replay = await readStream(gw, 'auditor', 'from_seq=0', 1);
    assert.equal(replay[0]!.seq, 0);
    // The stream sees its own opening (and the closing of the first stream) too: reads are audited.
    const follow = readStream(gw, 'auditor', '', 0, (lines) => lines.some((l) => l.action === 'resolve'));
    await new Promise((r) => setTimeout(r, 200));
    await gw.client('executor').resolve(envelope);
    const lines = await follow;
    assert.ok(lines.some((l) => l.action === 'audit.stream.open'), 'a live stream shows its own opening');
    const live = lines.find((l) => l.action === 'resolve');
    assert.equal(live!.job_id, envelope.payload.job_id);
    assert.ok(!JSON.stringify(live).includes(envelope.payload.nonce), 'nonces only as HMACs');
  });

  it('audits the opening and the closing of a stream: who, from which seq, for which tenant, how many lines', async () => {
    const before = (await gw.auditLines()).length;
    await readStream(gw, 'auditor', 'from_seq=0&tenant=tenant_abc', 2);
    await until('the close event', async () => ((await gw.auditLines()).some((l) => l.action === 'audit.stream.close' && (l.seq as number) >= before) ? true : undefined));
    const events = (await gw.auditLines()).filter((l) => (l.seq as number) >= before && String(l.action).startsWith('audit.stream'));
    const open = events.find((e) => e.action === 'audit.stream.open')!;
    const close = events.find((e) => e.action === 'audit.stream.close')!;
    assert.deepEqual([open.outcome, (open.actor as { type: string }).type, open.tenant, (open.detail as Record<string, unknown>).from_seq], ['ok', 'auditor', 'tenant_abc', 0]);
    assert.equal(close.request_id, open.request_id);
    // Lines handed to the connection; the client hung up after reading two, one more may have been on its way.
    assert.ok(Number((close.detail as Record<string, unknown>).delivered) >= 2);
    assert.equal((close.detail as Record<string, unknown>).reason, 'client');
  });

  it('refuses every role but auditor', async () => {
    await refused(gw, gw.client('executor').get('/v1/audit/stream'), 'forbidden', 'auth');
    await refused(gw, gw.client('admin').get('/v1/audit/stream'), 'forbidden', 'auth');
  });
});
