/**
 * The in-memory audit sink the trail tests use. test/audit/sinks_conformance.test.ts runs the same conformance
 * suite (describe_sink.ts) on it as on the real sinks, so what the group-commit tests learn from it holds for them.
 */
import { checkpointLine, type AuditSink, type CheckpointRecord, type CommitBatch } from '../../src/audit/sinks/sink.ts';

/** An in-memory sink whose next writes can be made to fail or hang. */
export class FakeSink implements AuditSink {
  readonly name: string;
  readonly required: boolean;
  lines: string[] = [];
  /** Checkpoint lines it was given, in order (a forwarding sink keeps a copy, like stdout, HTTP and Redis). */
  checkpoints: string[] = [];
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  private release: (() => void) | undefined;
  private pending: Promise<void> = Promise.resolve();
  constructor(name: string, required: boolean) {
    this.name = name;
    this.required = required;
  }
  async write(batch: CommitBatch): Promise<void> {
    this.lines.push(...batch.lines);
    if (this.mode === 'fail') throw new Error('disk full');
    if (this.mode === 'hang') {
      this.pending = new Promise<void>((resolve) => (this.release = resolve));
      await this.pending;
    }
  }
  async rollback(batch: CommitBatch): Promise<void> {
    await this.pending; // like the file sink: a rollback waits for the write it undoes
    this.lines = this.lines.filter((l) => !batch.lines.includes(l));
  }
  async checkpoint(record: CheckpointRecord): Promise<void> {
    if (this.mode === 'fail') throw new Error('disk full');
    this.checkpoints.push(checkpointLine(record));
  }
  unstick(): void {
    this.release?.();
  }
  async health() {
    return { ok: true };
  }
  async close(): Promise<void> {}
}
