/**
 * The one hook into the audit trail from the outside (metrics, src/ops/audit_observer.ts). It is handed to
 * `createAuditTrail` at construction and called with typed facts, instead of wrapping the trail in a Proxy or
 * probing objects for members: what an observer sees is written down here, and nothing else reaches it.
 * Observers must not throw; the trail guards each call anyway, so a faulty observer never turns a durable event
 * into a refused one (or the other way round).
 */
import type { AuditEventInput, AuditReceipt } from '../contract.ts';

/** One `record()` call settled: durable in every required sink (`receipt`), or refused (`ok: false`). */
export interface RecordOutcome {
  /** The event as recorded, without its `sensitive` member: clear values never reach an observer. */
  event: Omit<AuditEventInput, 'sensitive'>;
  ok: boolean;
  receipt?: AuditReceipt | undefined;
  /** From `record()` to the outcome. */
  seconds: number;
}

/** One sink's write of one batch. */
export interface SinkWrite {
  sink: string;
  required: boolean;
  firstSeq: number;
  count: number;
  seconds: number;
  ok: boolean;
}

/** A batch became durable in every required sink: every seq below `nextSeq` is committed. */
export interface BatchCommitted {
  firstSeq: number;
  count: number;
  nextSeq: number;
}

export interface AuditObserver {
  onRecord(outcome: RecordOutcome): void;
  onSinkResult(write: SinkWrite): void;
  onBatch(batch: BatchCommitted): void;
}

/** Calls `fn`, reporting (never rethrowing) what an observer threw. */
export function observeSafely(notice: (message: string) => void, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    notice(`audit observer failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
