/**
 * Fan-out of committed lines to live subscribers (the audit stream route). A subscriber asking for older seqs
 * is first replayed from the log files, then switched to live lines without gap or duplicate: lines committed
 * during the replay are buffered and delivered after it.
 */
import type { CommitBatch } from '../sinks/sink.ts';

export type LineListener = (line: string, seq: number) => void;

export class LiveFeed {
  private readonly listeners = new Set<LineListener>();
  private readonly readCommitted: (fromSeq: number, toSeq: number) => AsyncIterable<{ line: string; seq: number }>;
  private readonly headSeq: () => number;

  constructor(readCommitted: (fromSeq: number, toSeq: number) => AsyncIterable<{ line: string; seq: number }>, headSeq: () => number) {
    this.readCommitted = readCommitted;
    this.headSeq = headSeq;
  }

  publish(batch: CommitBatch): void {
    for (const listener of this.listeners) {
      batch.lines.forEach((line, i) => {
        listener(line, batch.firstSeq + i);
      });
    }
  }

  /** Delivers every line with seq ≥ fromSeq, then live lines; returns an unsubscribe function. */
  async subscribe(fromSeq: number, onLine: LineListener): Promise<() => void> {
    let buffered: { line: string; seq: number }[] | undefined = [];
    const listener: LineListener = (line, seq) => {
      if (buffered !== undefined) buffered.push({ line, seq });
      else if (seq >= fromSeq) onLine(line, seq);
    };
    this.listeners.add(listener);
    const unsubscribe = () => void this.listeners.delete(listener);
    const head = this.headSeq();
    try {
      if (fromSeq < head) for await (const entry of this.readCommitted(fromSeq, head)) onLine(entry.line, entry.seq);
    } catch (err) {
      unsubscribe();
      throw err;
    }
    const pending = buffered;
    buffered = undefined;
    for (const entry of pending) if (entry.seq >= Math.max(fromSeq, head)) onLine(entry.line, entry.seq);
    return unsubscribe;
  }
}
