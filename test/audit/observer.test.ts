/** The typed observer hook of the audit trail (src/audit/trail/observer.ts): what it is told, and what it is not. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createAuditTrail, type AuditObserver, type BatchCommitted, type RecordOutcome, type SinkWrite } from '../../src/audit/index.ts';
import { auditFixture, resolveEvent, SECRET_NONCE, SECRET_TOKEN } from './helpers.ts';

function recorder(): AuditObserver & { records: RecordOutcome[]; writes: SinkWrite[]; batches: BatchCommitted[] } {
  const records: RecordOutcome[] = [];
  const writes: SinkWrite[] = [];
  const batches: BatchCommitted[] = [];
  return {
    records,
    writes,
    batches,
    onRecord: (o) => records.push(o),
    onSinkResult: (w) => writes.push(w),
    onBatch: (b) => batches.push(b),
  };
}

describe('audit observer hook', () => {
  it('is told each outcome, sink write and committed batch, and never sees the sensitive values', async () => {
    const fx = auditFixture();
    const seen = recorder();
    const trail = await createAuditTrail(fx.config, { configDir: fx.dir, observer: seen });
    try {
      const receipts = await Promise.all([0, 1, 2].map((n) => trail.record(resolveEvent(n + 1))));
      assert.equal(seen.records.length, 3);
      for (const r of seen.records) {
        assert.equal(r.ok, true);
        assert.ok(r.seconds >= 0);
        assert.equal('sensitive' in r.event, false);
      }
      assert.deepEqual(seen.records.map((r) => r.receipt?.seq).sort(), receipts.map((r) => r.seq).sort());
      assert.ok(!JSON.stringify(seen.records).includes(SECRET_TOKEN) && !JSON.stringify(seen.records).includes(SECRET_NONCE));
      assert.equal(seen.batches.at(-1)?.nextSeq, 3);
      assert.equal(seen.batches.reduce((n, b) => n + b.count, 0), 3);
      assert.ok(seen.writes.length >= 1 && seen.writes.every((w) => w.ok && w.required && w.sink === 'file'));
      // A refused event is reported as refused.
      await assert.rejects(trail.record({ ...resolveEvent(4), detail: { bad: Number.NaN } }));
      assert.equal(seen.records.at(-1)?.ok, false);
    } finally {
      await trail.close();
      rmSync(fx.dir, { recursive: true, force: true });
    }
  });

  it('an observer that throws changes no outcome: the event is still acknowledged, and a notice says why', async () => {
    const fx = auditFixture();
    const notices: string[] = [];
    const boom = () => {
      throw new Error('observer bug');
    };
    const trail = await createAuditTrail(fx.config, { configDir: fx.dir, notice: (m) => notices.push(m), observer: { onRecord: boom, onSinkResult: boom, onBatch: boom } });
    try {
      const receipt = await trail.record(resolveEvent(1));
      assert.equal(receipt.seq, 0);
      assert.ok(notices.some((m) => m.includes('observer bug')), notices.join('\n'));
    } finally {
      await trail.close();
      rmSync(fx.dir, { recursive: true, force: true });
    }
  });
});
