/**
 * Keeps the Merkle frontier of the log and signs checkpoints: after a committed batch (at most one per
 * `intervalMs`, with a trailing one so the end of a burst is attested within the interval) and on a heartbeat
 * when idle. Checkpoints are appended, one JSON line `{"note": …}` each, to the log's `.checkpoints` file, then
 * handed to the other sinks (so a copy lives off the host) and to the witnesses; a checkpoint a witness cosigned
 * comes back with its cosignature and is appended again, the same note with one more signature line.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { canonicalJson } from '../../envelope/canonical.ts';
import { signCheckpoint } from '../log/checkpoint.ts';
import type { KeyRing } from './key_ring.ts';
import { type CompactRange, leafHash } from '../log/merkle.ts';
import type { CommitBatch } from '../sinks/sink.ts';
import type { Checkpoint } from '../log/checkpoint.ts';
import type { WitnessPool } from './witness_client.ts';

export interface CheckpointerOptions {
  origin: string;
  ring: KeyRing;
  files: string[];
  range: CompactRange;
  intervalMs: number;
  heartbeatMs: number;
  now: () => number;
  notice: (message: string) => void;
  /** Every checkpoint once stored locally (`cosigned`: the copy that came back with a witness cosignature). */
  onCheckpoint?: ((note: string, checkpoint: Checkpoint, cosigned: boolean) => void) | undefined;
  /** Witnesses to send each checkpoint to; given every committed leaf for their consistency proofs. */
  witnesses?: WitnessPool | undefined;
  /** How long close() waits for the witnesses to cosign the last checkpoint. */
  witnessSettleMs?: number | undefined;
}

export class Checkpointer {
  private readonly options: CheckpointerOptions;
  private handles: FileHandle[] = [];
  private lastAt = -Infinity;
  private lastSize = -1;
  private chain: Promise<void> = Promise.resolve();
  private trailing: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(options: CheckpointerOptions) {
    this.options = options;
  }

  /** Opens the checkpoint files, signs a first checkpoint and starts the heartbeat. */
  async start(): Promise<void> {
    this.handles = await Promise.all(this.options.files.map((f) => open(f, 'a', 0o644)));
    this.sign();
    const tick = Math.min(this.options.heartbeatMs, 1000);
    this.heartbeat = setInterval(() => {
      if (this.options.now() - this.lastAt >= this.options.heartbeatMs) this.sign();
    }, tick);
    this.heartbeat.unref();
    await this.chain;
  }

  get size(): number {
    return this.options.range.size;
  }

  /** Adds a committed batch to the tree and signs if a checkpoint is due. */
  onCommit(batch: CommitBatch): void {
    for (const line of batch.lines) {
      const leaf = leafHash(line);
      this.options.range.append(leaf);
      this.options.witnesses?.append(leaf);
    }
    const wait = this.lastAt + this.options.intervalMs - this.options.now();
    if (wait <= 0) this.sign();
    else if (this.trailing === undefined) {
      this.trailing = setTimeout(() => {
        this.trailing = undefined;
        this.sign();
      }, wait);
      this.trailing.unref();
    }
  }

  /** Signs a last checkpoint covering everything committed, then closes the files. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    clearTimeout(this.trailing);
    if (this.options.range.size !== this.lastSize) this.sign();
    await this.chain;
    // The last checkpoint is the one an auditor with --witness-key needs cosigned: give the witnesses a moment.
    await this.options.witnesses?.settle(this.options.witnessSettleMs ?? 5000);
    await this.chain;
    await Promise.allSettled(this.handles.map((h) => h.close()));
  }

  /** Stores a checkpoint note that now carries a witness cosignature (same checkpoint, one more signature). */
  storeCosigned(note: string, checkpoint: Checkpoint): void {
    const line = `${canonicalJson({ note })}\n`;
    this.chain = this.chain.then(async () => {
      await this.append(line);
      this.options.onCheckpoint?.(note, checkpoint, true);
    });
  }

  private sign(): void {
    const now = this.options.now();
    const signers = this.options.ring.signersAt(now);
    // Captured now, synchronously: the tree may grow before the write below runs.
    const checkpoint = { origin: this.options.origin, size: this.options.range.size, root: this.options.range.root(), time: now };
    this.lastAt = now;
    this.lastSize = checkpoint.size;
    if (signers.length === 0) {
      this.options.notice('no checkpoint key is valid now: checkpoint skipped');
      return;
    }
    const note = signCheckpoint(checkpoint, signers);
    const line = `${canonicalJson({ note })}\n`;
    this.chain = this.chain.then(async () => {
      await this.append(line);
      this.options.onCheckpoint?.(note, checkpoint, false);
      this.options.witnesses?.submit(note, checkpoint);
    });
  }

  private async append(line: string): Promise<void> {
    try {
      await Promise.all(
        this.handles.map(async (h) => {
          await h.write(line);
          await h.datasync();
        }),
      );
    } catch (err) {
      this.options.notice(`checkpoint write failed: ${(err as Error).message}`);
    }
  }
}
