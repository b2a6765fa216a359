import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '../../src/envelope/canonical.ts';
import { GatewayError } from '../../src/errors.ts';
import { createAuditTrail } from '../../src/audit/index.ts';
import { GENESIS_PREV, lineHash } from '../../src/audit/log/line.ts';
import { verifyAuditFile } from '../../src/audit/verify/verify_file.ts';
import { auditFixture, resolveEvent, SECRET_NONCE, SECRET_TOKEN } from './helpers.ts';

const NOW = Date.parse('2025-11-23T04:00:00.123Z');

function readLog(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
}

describe('audit trail: file sink, chain and HMAC', () => {
  it('writes one canonical, chained line per event with the trail fields', async () => {
    const fx = auditFixture();
    const trail = await createAuditTrail(fx.config, { configDir: fx.dir, now: () => NOW });
    const receipts = await Promise.all([0, 1, 2].map((n) => trail.record(resolveEvent(n))));
    await trail.close();
    assert.deepEqual(receipts.map((r) => r.seq), [0, 1, 2]);
    const lines = readLog(fx.logPath);
    assert.equal(lines.length, 3);
    let prev = GENESIS_PREV;
    for (const [i, line] of lines.entries()) {
      const event = JSON.parse(line) as Record<string, unknown>;
      assert.equal(canonicalJson(event), line);
      assert.equal(event.v, 1);
      assert.equal(event.origin, 'test.example/replica-1');
      assert.equal(event.seq, i);
      assert.equal(event.time, '2025-11-23T04:00:00.123Z');
      assert.equal(event.event_id, receipts[i]!.event_id);
      assert.equal(event.prev, prev);
      assert.equal(event.job_id, `job-${i}`);
      prev = lineHash(line);
    }
  });

  it('writes sensitive values only as per-tenant HMACs', async () => {
    const fx = auditFixture();
    const trail = await createAuditTrail(fx.config, { configDir: fx.dir });
    await trail.record(resolveEvent(1, 'tenant_a'));
    await trail.record(resolveEvent(1, 'tenant_b'));
    await trail.close();
    const text = readFileSync(fx.logPath, 'utf8');
    assert.ok(!text.includes(SECRET_TOKEN) && !text.includes(SECRET_NONCE));
    const [a, b] = readLog(fx.logPath).map((l) => JSON.parse(l) as { sensitive: Record<string, string> });
    assert.match(a!.sensitive.token!, /^hmac-sha256:[0-9a-f]{64}$/);
    assert.equal(a!.sensitive.token, trail.hash('tenant_a', `${SECRET_TOKEN}-1`));
    assert.notEqual(a!.sensitive.token, b!.sensitive.token, 'tenants get different keys');
  });

  it('continues seq and prev across a restart', async () => {
    const fx = auditFixture();
    let trail = await createAuditTrail(fx.config, { configDir: fx.dir });
    await trail.record(resolveEvent(0));
    await trail.close();
    trail = await createAuditTrail(fx.config, { configDir: fx.dir });
    const receipt = await trail.record(resolveEvent(1));
    await trail.close();
    assert.equal(receipt.seq, 1);
    const report = await verifyAuditFile(fx.logPath);
    assert.equal(report.ok, true, JSON.stringify(report.findings));
    assert.equal(report.events, 2);
  });

  it('cuts off a torn last line on open, keeps it aside, and continues the chain', async () => {
    const fx = auditFixture();
    let trail = await createAuditTrail(fx.config, { configDir: fx.dir });
    await trail.record(resolveEvent(0));
    await trail.record(resolveEvent(1));
    await trail.close();
    appendFileSync(fx.logPath, '{"action":"resolve","seq":2,"pre');
    assert.equal((await verifyAuditFile(fx.logPath)).firstBad?.kind, 'torn_tail');
    const notices: string[] = [];
    trail = await createAuditTrail(fx.config, { configDir: fx.dir, notice: (m) => notices.push(m) });
    assert.equal((await trail.record(resolveEvent(2))).seq, 2);
    await trail.close();
    assert.match(notices[0] ?? '', /torn tail/);
    assert.ok(readdirSync(path.dirname(fx.logPath)).some((n) => n.includes('.torn-')));
    assert.equal((await verifyAuditFile(fx.logPath)).ok, true);
  });

  it('group-commits concurrent events into few batches with contiguous seqs', async () => {
    const fx = auditFixture({ batch_ms: 20 });
    const trail = await createAuditTrail(fx.config, { configDir: fx.dir });
    const receipts = await Promise.all(Array.from({ length: 500 }, (_, n) => trail.record(resolveEvent(n))));
    await trail.close();
    assert.deepEqual(receipts.map((r) => r.seq).sort((a, b) => a - b), Array.from({ length: 500 }, (_, i) => i));
    assert.equal((await verifyAuditFile(fx.logPath)).ok, true);
  });

  it('refuses a log that belongs to another origin', async () => {
    const fx = auditFixture();
    const trail = await createAuditTrail(fx.config, { configDir: fx.dir });
    await trail.record(resolveEvent(0));
    await trail.close();
    await assert.rejects(createAuditTrail({ ...fx.config, origin: 'other/replica' }, { configDir: fx.dir }), /origin/);
  });

  it('rejects after close with unavailable', async () => {
    const fx = auditFixture();
    const trail = await createAuditTrail(fx.config, { configDir: fx.dir });
    await trail.close();
    await assert.rejects(trail.record(resolveEvent(0)), (err: unknown) => err instanceof GatewayError && err.code === 'unavailable' && err.step === 'audit');
  });
});

describe('audit trail: rotation', () => {
  it('rotates by size and keeps one chain (and one Merkle tree) across the files', async () => {
    const { writeSigningKey } = await import('./helpers.ts');
    const { verifyAuditPath } = await import('../../src/audit/verify/verify_path.ts');
    const fx = auditFixture();
    const config = { ...fx.config, signing_key_file: writeSigningKey(fx.dir), sinks: [{ ...fx.config.sinks[0]!, rotate_bytes: 4096 }] };
    let trail = await createAuditTrail(config, { configDir: fx.dir });
    for (let n = 0; n < 40; n++) await trail.record(resolveEvent(n));
    await trail.close();
    trail = await createAuditTrail(config, { configDir: fx.dir });
    assert.equal((await trail.record(resolveEvent(40))).seq, 40);
    await trail.close();
    const files = readdirSync(path.dirname(fx.logPath)).filter((n) => /^audit\.log(\.\d{12})?$/.test(n));
    assert.ok(files.length > 3, `rotated into ${files.length} files`);
    const report = await verifyAuditPath(path.dirname(fx.logPath));
    assert.equal(report.ok, true, JSON.stringify(report.logs[0]?.findings));
    assert.equal(report.logs[0]!.events, 41);
    assert.equal(report.logs[0]!.attested, 41);
  });
});
