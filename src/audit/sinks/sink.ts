/** What every audit sink implements. The trail, not the sink, decides sequencing, batching and timeouts. */

/** A group-committed batch: consecutive lines of one log. */
export interface CommitBatch {
  firstSeq: number;
  lines: string[];
  /** The lines joined, each ending in `\n`: the exact bytes a line-oriented sink writes. */
  text: string;
}

/** A signed checkpoint, as it travels to the sinks besides the local `.checkpoints` file. */
export interface CheckpointRecord {
  type: 'checkpoint';
  origin: string;
  size: number;
  /** The signed note; a cosigned copy carries the witness's signature line too. */
  note: string;
}

/** The one line a line-oriented sink writes for a checkpoint (no `seq`: it is not an event of the chain). */
export function checkpointLine(record: CheckpointRecord): string {
  return JSON.stringify({ type: record.type, origin: record.origin, size: record.size, note: record.note });
}

export interface AuditSink {
  readonly name: string;
  readonly required: boolean;
  /** Called once at start with the recovered chain head: drop anything at or after `nextSeq` (never acknowledged). */
  resume?(nextSeq: number): Promise<void>;
  /** The last durable line, so that the chain continues across restarts; only sinks that can read back have it. */
  lastLine?(): Promise<string | undefined>;
  /** Resolves once the batch is durable in this sink. */
  write(batch: CommitBatch): Promise<void>;
  /** Told once a batch is durable in every required sink (a forwarding sink ships nothing before that). */
  committed?(batch: CommitBatch): void;
  /** Removes a batch that the trail abandoned (another required sink failed); waits for the write to settle. */
  rollback?(batch: CommitBatch): Promise<void>;
  /**
   * Keeps a copy of a checkpoint, so that one lives outside the gateway's host with the events. Called after the
   * checkpoint's events committed; best effort (a failure is a notice, never a refused event).
   */
  checkpoint?(record: CheckpointRecord): Promise<void>;
  health(): Promise<{ ok: boolean; detail?: string | undefined }>;
  close(): Promise<void>;
}
