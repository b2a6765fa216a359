/**
 * The audit-sink conformance suite: what every `AuditSink` (src/audit/sinks/sink.ts) must do for the trail's
 * promises to hold, whatever it stores into. The trail counts an event acknowledged once every required sink's
 * `write` resolved, so a sink may resolve only once its copy is durable (fsync, server ack, the OS took it), must
 * reject (not swallow) a failure, keep append order, let a closing write land or fail (never resolve unstored),
 * carry checkpoint lines if it keeps any, and store nothing clear. Each subject reads its store back without the
 * sink (the file, the far end, XRANGE, the captured stream), so the suite checks the store, not the sink's word.
 * Run against every built-in sink and the test fake in sinks_conformance.test.ts.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { GENESIS_PREV, lineHash, sequenceLine } from '../../src/audit/log/line.ts';
import { checkpointLine, type AuditSink, type CheckpointRecord, type CommitBatch } from '../../src/audit/sinks/sink.ts';
import { prepareEvent } from '../../src/audit/trail/event_line.ts';
import { AuditHasher } from '../../src/audit/trail/hmac_keys.ts';
import { resolveEvent, SECRET_NONCE, SECRET_TOKEN } from './helpers.ts';

export const ORIGIN = 'test.example/conformance';

export interface SinkSubject {
  sink: AuditSink;
  /** Event lines in the sink's durable store, in order, read without the sink (works after close). */
  stored(): Promise<string[]>;
  /** Checkpoint lines the sink carries; absent when it keeps none (then it must have no `checkpoint`). */
  checkpoints?: (() => Promise<string[]>) | undefined;
  /** For a forwarding sink: event lines its far end received. */
  delivered?: (() => Promise<string[]>) | undefined;
  /** Holds the durability step (fsync, server ack, write callback) of what follows, until `release`. */
  hold(): void;
  release(): void;
  /** Makes the durability step of what follows fail, until `recover`. */
  breakIt(): Promise<void>;
  recover(): Promise<void>;
  /** Everything the sink left behind, as text (files, far end, store), for the secret check. */
  traces(): Promise<string>;
  /** Credentials the subject handed the sink (a token): never stored. */
  secrets: readonly string[];
  cleanup(): Promise<void>;
}

const hasher = new AuditHasher(Buffer.alloc(32, 9));
let eventNo = 0;

/** Consecutive batches of real audit lines (sensitive values HMACed), `sizes[i]` lines each, chained from `firstSeq`. */
function batches(sizes: readonly number[], firstSeq = 0): CommitBatch[] {
  let seq = firstSeq;
  let prev = GENESIS_PREV;
  return sizes.map((size) => {
    const start = seq;
    const lines: string[] = [];
    for (let i = 0; i < size; i++) {
      const line = sequenceLine(prepareEvent(resolveEvent(++eventNo), hasher, Date.now()), ORIGIN, seq++, prev);
      prev = lineHash(line);
      lines.push(line);
    }
    return { firstSeq: start, lines, text: `${lines.join('\n')}\n` };
  });
}

/** Polls until `check` holds (the far end of a forwarding sink catches up asynchronously). */
async function eventually(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await delay(20);
  }
}

/** Registers the conformance cases for one sink; `open` gives a fresh subject per case. */
export function describeAuditSink(name: string, open: () => Promise<SinkSubject>): void {
  describe(`audit sink conformance: ${name}`, function () {
    this.timeout(20_000);
    let subject: SinkSubject;
    let closed = false;

    beforeEach(async () => {
      subject = await open();
      closed = false;
    });

    afterEach(async () => {
      subject.release();
      await subject.recover();
      if (!closed) await subject.sink.close();
      await subject.cleanup();
    });

    it('appends batches in order, each line whole, and forwards them in that order', async () => {
      const all = batches([1, 3, 2]);
      for (const batch of all) {
        await subject.sink.write(batch);
        subject.sink.committed?.(batch);
      }
      const lines = all.flatMap((b) => b.lines);
      assert.deepEqual(await subject.stored(), lines);
      if (subject.delivered !== undefined) {
        const delivered = subject.delivered;
        await eventually('the far end has every line', async () => (await delivered()).length >= lines.length);
        assert.deepEqual(await delivered(), lines);
      }
    });

    it('reports a write durable only after its durability step (fsync, ack) completed', async () => {
      const [batch] = batches([2]);
      subject.hold();
      let settled = false;
      const write = subject.sink.write(batch!).finally(() => (settled = true));
      await delay(200);
      assert.equal(settled, false, 'the write resolved while its fsync/ack was still held');
      subject.release();
      await write;
      assert.deepEqual(await subject.stored(), batch!.lines);
    });

    it('reports a failed write as a rejection, and stores only what succeeded after the rollback', async () => {
      const [failing] = batches([2]);
      await subject.breakIt();
      await assert.rejects(subject.sink.write(failing!), (err: unknown) => err instanceof Error && err.message.length > 0);
      // The fault passes; the trail then rolls the abandoned batch back (a failed rollback would latch it broken).
      await subject.recover();
      await subject.sink.rollback?.(failing!);
      // The trail reuses the seq numbers of an abandoned batch.
      const [next] = batches([3]);
      await subject.sink.write(next!);
      subject.sink.committed?.(next!);
      assert.deepEqual(await subject.stored(), next!.lines);
      if (subject.delivered !== undefined) {
        const delivered = subject.delivered;
        await eventually('the far end has the good lines', async () => (await delivered()).length >= next!.lines.length);
        assert.deepEqual(await delivered(), next!.lines);
      }
    });

    it('close lets writes in flight land or fail: no write resolves without its lines stored', async () => {
      const all = batches([2, 2, 1]);
      const writes = all.map((batch) => subject.sink.write(batch));
      await subject.sink.close();
      closed = true;
      const results = await Promise.allSettled(writes);
      const stored = await subject.stored();
      let expected: string[] = [];
      for (const [i, result] of results.entries()) {
        if (result.status === 'fulfilled') expected = [...expected, ...all[i]!.lines];
        else assert.ok(result.reason instanceof Error, 'a write cut short by close rejects with an Error');
      }
      assert.ok(expected.length > 0 || results.every((r) => r.status === 'rejected'));
      for (const line of expected) assert.ok(stored.includes(line), 'a resolved write lost its line at close');
      assert.deepEqual(stored.slice(0, expected.length), expected, 'resolved writes are stored in order');
    });

    it('carries checkpoint lines after the events they cover, or declares it keeps none', async () => {
      const checkpoints = subject.checkpoints;
      if (checkpoints === undefined) {
        // Its checkpoints live in the checkpointer's `.checkpoints` file next to the log, not in the sink.
        assert.equal(subject.sink.checkpoint, undefined, 'a sink that keeps no checkpoints must not accept them');
        return;
      }
      const [batch] = batches([2]);
      await subject.sink.write(batch!);
      subject.sink.committed?.(batch!);
      const record: CheckpointRecord = { type: 'checkpoint', origin: ORIGIN, size: 2, note: `${ORIGIN}\n2\nroot-hash\n\n— ${ORIGIN} sig\n` };
      assert.ok(subject.sink.checkpoint !== undefined, 'the subject says the sink keeps checkpoints');
      await subject.sink.checkpoint(record);
      await eventually('the checkpoint is carried', async () => (await checkpoints()).length > 0);
      assert.deepEqual(await checkpoints(), [checkpointLine(record)]);
      assert.deepEqual(await subject.stored(), batch!.lines, 'a checkpoint is no event line');
    });

    it('stores sensitive values only as HMACs, and none of its own credentials, even when failing', async () => {
      const [batch] = batches([3]);
      await subject.sink.write(batch!);
      subject.sink.committed?.(batch!);
      if (subject.delivered !== undefined) {
        const delivered = subject.delivered;
        await eventually('the far end has the lines', async () => (await delivered()).length >= 3);
      }
      const traces = await subject.traces();
      await subject.breakIt();
      const failure = await subject.sink.write(batches([1], 3)[0]!).then(
        () => '',
        (err: Error) => err.message,
      );
      const health = await subject.sink.health();
      await subject.recover();
      const text = `${traces}\n${failure}\n${health.detail ?? ''}`;
      assert.ok(text.includes('"sensitive":{'), 'the traces hold the lines (with their HMACed sensitive member)');
      for (const secret of [SECRET_TOKEN, SECRET_NONCE, ...subject.secrets]) {
        assert.equal(text.includes(secret), false, `found a secret in what the sink left: ${secret.slice(0, 6)}…`);
      }
    });
  });
}
