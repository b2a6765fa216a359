/** What every audit sink implements. The trail, not the sink, decides sequencing, batching and timeouts. */

/** A group-committed batch: consecutive lines of one log. */
export interface CommitBatch {
  firstSeq: number;
  lines: string[];
  /** The lines joined, each ending in `\n`: the exact bytes a line-oriented sink writes. */
  text: string;
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
  health(): Promise<{ ok: boolean; detail?: string | undefined }>;
  close(): Promise<void>;
}
