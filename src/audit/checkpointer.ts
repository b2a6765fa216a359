/**
 * Keeps the Merkle frontier of the log and signs checkpoints: after a committed batch (at most one per
 * `intervalMs`, with a trailing one so the end of a burst is attested within the interval) and on a heartbeat
 * when idle. Checkpoints are appended, one JSON line `{"note": …}` each, to the log's `.checkpoints` file.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { canonicalJson } from '../envelope/canonical.ts';
import { signCheckpoint } from './checkpoint.ts';
import type { KeyRing } from './key_ring.ts';
import { type CompactRange, leafHash } from './merkle.ts';
import type { CommitBatch } from './sink.ts';

export interface CheckpointerOptions {
  origin: string;
  ring: KeyRing;
  files: string[];
  range: CompactRange;
  intervalMs: number;
  heartbeatMs: number;
  now: () => number;
  notice: (message: string) => void;
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
    for (const line of batch.lines) this.options.range.append(leafHash(line));
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
    await Promise.allSettled(this.handles.map((h) => h.close()));
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
    const line = `${canonicalJson({ note: signCheckpoint(checkpoint, signers) })}\n`;
    this.chain = this.chain.then(() => this.append(line));
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
