/**
 * Group commit. `record()` queues an event; a batch is cut at most `batchMs` after its first event (or as soon as
 * the previous batch is done), sequenced, and written to every required sink in parallel, each under a timeout.
 *
 * Continuity after a failure: the chain head (next seq, prev) advances only when a batch is durable in every
 * required sink. If any required sink fails or times out, every event of the batch is rejected (`unavailable`),
 * each required sink is asked to roll the batch back (the file sink truncates to its length before the batch,
 * after the stuck write settles), and the next batch reuses the same seq numbers. So a line in the log always
 * means an acknowledged event, and the chain has no gap. While a rollback is pending, new events fail fast
 * instead of queueing behind a stuck sink. If a rollback itself fails the trail latches `broken` and refuses
 * every event until a restart, which re-reads the tail of the log and continues from what is really there.
 * Best-effort sinks receive a batch only after it committed, so they never see an abandoned line.
 */
import { GatewayError } from '../../errors.ts';
import type { AuditReceipt } from '../contract.ts';
import { lineHash, sequenceLine, type PreparedEvent } from '../log/line.ts';
import type { AuditSink, CommitBatch } from '../sinks/sink.ts';
import { observeSafely, type AuditObserver } from './observer.ts';

const MAX_BATCH = 4096;

interface Pending {
  event: PreparedEvent;
  resolve: (receipt: AuditReceipt) => void;
  reject: (err: unknown) => void;
}

export interface ChainHead {
  nextSeq: number;
  prev: string;
}

export interface GroupCommitOptions {
  origin: string;
  head: ChainHead;
  sinks: AuditSink[];
  batchMs: number;
  timeoutMs: number;
  /** Called after each committed batch (checkpointer, live stream); must not throw. */
  onCommit: (batch: CommitBatch) => void;
  notice: (message: string) => void;
  /** Told of every sink write and every committed batch (metrics). */
  observer?: AuditObserver | undefined;
}

export class GroupCommit {
  private readonly options: GroupCommitOptions;
  private readonly required: AuditSink[];
  private readonly bestEffort: AuditSink[];
  private head: ChainHead;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private inFlight: Promise<void> | undefined;
  private recovering: Promise<void> | undefined;
  private broken: string | undefined;
  private closed = false;
  private readonly sinkErrors = new Map<string, string>();

  constructor(options: GroupCommitOptions) {
    this.options = options;
    this.head = { ...options.head };
    this.required = options.sinks.filter((s) => s.required);
    this.bestEffort = options.sinks.filter((s) => !s.required);
  }

  /** The next seq and prev: the size of the committed log and the hash of its last line. */
  get committedHead(): ChainHead {
    return { ...this.head };
  }

  /** Why events are currently refused, if they are. */
  get refusal(): string | undefined {
    return this.broken ?? (this.recovering === undefined ? undefined : 'a failed batch is being rolled back');
  }

  lastError(sink: string): string | undefined {
    return this.sinkErrors.get(sink);
  }

  /** Queues an event; resolves when its batch is durable in every required sink. */
  enqueue(event: PreparedEvent): Promise<AuditReceipt> {
    if (this.closed) return Promise.reject(unavailable('audit trail is closed'));
    const refusal = this.refusal;
    if (refusal !== undefined) return Promise.reject(unavailable(refusal));
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.schedule();
    });
  }

  /** Commits whatever is queued and waits for it; then refuses new events. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    while (this.inFlight !== undefined || this.queue.length > 0) {
      if (this.inFlight === undefined) this.flush();
      await this.inFlight;
    }
    await this.recovering;
  }

  private schedule(): void {
    if (this.inFlight !== undefined || this.timer !== undefined || this.immediate !== undefined) return;
    if (this.options.batchMs === 0) {
      // No window: everything queued in this turn of the event loop goes into one batch, with no added wait.
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        this.flush();
      });
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.options.batchMs);
  }

  private flush(): void {
    const items = this.queue.splice(0, MAX_BATCH);
    if (items.length === 0) return;
    this.inFlight = this.commit(items).finally(() => {
      this.inFlight = undefined;
      // Events that arrived during the write have already waited a batch; cut the next one at once.
      if (this.queue.length > 0) this.flush();
    });
  }

  private async commit(items: Pending[]): Promise<void> {
    const refusal = this.refusal;
    if (refusal !== undefined) {
      for (const item of items) item.reject(unavailable(refusal));
      return;
    }
    const { origin } = this.options;
    const lines: string[] = [];
    let prev = this.head.prev;
    for (const [i, item] of items.entries()) {
      const line = sequenceLine(item.event, origin, this.head.nextSeq + i, prev);
      prev = lineHash(line);
      lines.push(line);
    }
    const batch: CommitBatch = { firstSeq: this.head.nextSeq, lines, text: `${lines.join('\n')}\n` };
    const results = await Promise.allSettled(this.required.map((sink) => this.writeWithTimeout(sink, batch)));
    const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [`${this.required[i]!.name}: ${errorText(r.reason)}`] : []));
    if (failures.length > 0) {
      const err = unavailable(`audit sink failed: ${failures.join('; ')}`);
      for (const item of items) item.reject(err);
      this.startRollback(batch);
      return;
    }
    this.head = { nextSeq: batch.firstSeq + lines.length, prev };
    for (const [i, item] of items.entries()) item.resolve({ seq: batch.firstSeq + i, event_id: item.event.event_id });
    for (const sink of this.required) sink.committed?.(batch);
    for (const sink of this.bestEffort) {
      const started = performance.now();
      sink.write(batch).then(
        () => this.settleBestEffort(sink, batch, started, undefined),
        (err: unknown) => this.settleBestEffort(sink, batch, started, err),
      );
    }
    const observer = this.options.observer;
    if (observer !== undefined) {
      const committed = { firstSeq: batch.firstSeq, count: lines.length, nextSeq: this.head.nextSeq };
      observeSafely(this.options.notice, () => observer.onBatch(committed));
    }
    this.options.onCommit(batch);
  }

  private settleBestEffort(sink: AuditSink, batch: CommitBatch, started: number, err: unknown): void {
    if (err === undefined) this.sinkErrors.delete(sink.name);
    else this.sinkErrors.set(sink.name, errorText(err));
    this.observeWrite(sink, batch, started, err === undefined);
  }

  private observeWrite(sink: AuditSink, batch: CommitBatch, started: number, ok: boolean): void {
    const seconds = (performance.now() - started) / 1000;
    const observer = this.options.observer;
    if (observer === undefined) return;
    const write = { sink: sink.name, required: sink.required, firstSeq: batch.firstSeq, count: batch.lines.length, seconds, ok };
    observeSafely(this.options.notice, () => observer.onSinkResult(write));
  }

  private async writeWithTimeout(sink: AuditSink, batch: CommitBatch): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    });
    const started = performance.now();
    try {
      await Promise.race([sink.write(batch), timeout]);
      this.sinkErrors.delete(sink.name);
      this.observeWrite(sink, batch, started, true);
    } catch (err) {
      this.sinkErrors.set(sink.name, errorText(err));
      this.observeWrite(sink, batch, started, false);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private startRollback(batch: CommitBatch): void {
    const rollbacks = this.required.map(async (sink) => {
      if (sink.rollback === undefined) throw new Error(`${sink.name} cannot roll back`);
      await sink.rollback(batch);
    });
    this.recovering = (async () => {
      const results = await Promise.allSettled(rollbacks);
      this.recovering = undefined;
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${this.required[i]!.name}: ${errorText(r.reason)}`] : []));
      if (failed.length > 0) {
        this.broken = `rollback of an abandoned batch failed (${failed.join('; ')}); restart to resume`;
        this.options.notice(this.broken);
      }
    })();
  }
}

function unavailable(reason: string): GatewayError {
  return new GatewayError('unavailable', { step: 'audit', reason });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
