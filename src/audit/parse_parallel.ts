/**
 * `parseLine` of every line of a large log on worker threads. Each line is parsed, canonical-checked and hashed
 * twice (chain and Merkle leaf) independently of its neighbours, which is most of `audit verify`'s time; only
 * the linking that follows (checkChain) is sequential. Workers are started before the log is read, so their
 * start-up overlaps the reading; below PARALLEL_MIN_BYTES, or on one core, the caller parses inline, since a
 * worker would cost more than it saves.
 */
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { parseLine, type ParsedLine } from './chain_check.ts';
import type { LogLine } from './log_files.ts';
import type { WorkerResult } from './parse_worker.ts';

export const PARALLEL_MIN_BYTES = 8 * 1024 * 1024;
const MAX_WORKERS = 3;
const OWN_WEIGHT = 1.4;

/** Workers waiting for their share of one log's lines; each takes one share and is then terminated. */
export class ParallelParser {
  private readonly workers: Worker[];

  private constructor(workers: Worker[]) {
    this.workers = workers;
  }

  /** Starts workers when the files add up to at least `minBytes` and there is a spare core; else undefined. */
  static async start(files: readonly string[], minBytes = PARALLEL_MIN_BYTES): Promise<ParallelParser | undefined> {
    const count = Math.min(MAX_WORKERS, availableParallelism() - 1);
    if (count < 1) return undefined;
    const sizes = await Promise.all(files.map((f) => stat(f).then((s) => s.size, () => 0)));
    if (sizes.reduce((a, b) => a + b, 0) < minBytes) return undefined;
    return new ParallelParser(Array.from({ length: count }, () => new Worker(new URL('./parse_worker.ts', import.meta.url))));
  }

  /**
   * Parsed lines in order: the calling thread takes the first share while the workers take the rest. Its share
   * is OWN_WEIGHT times a worker's, since a worker also pays for copying its lines in and its results out.
   */
  async parse(lines: readonly LogLine[]): Promise<ParsedLine[]> {
    const share = Math.ceil(lines.length / (this.workers.length + OWN_WEIGHT));
    const own = lines.length - share * this.workers.length;
    const offloaded = this.workers.map((worker, i) => parseOn(worker, lines.slice(own + i * share, own + (i + 1) * share).map((l) => l.text)));
    const mine = lines.slice(0, Math.max(0, own)).map((l) => parseLine(l.text));
    return mine.concat(...(await Promise.all(offloaded)));
  }

  /** Stops the workers (also after a failure). */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function parseOn(worker: Worker, texts: string[]): Promise<ParsedLine[]> {
  return new Promise((resolve, reject) => {
    worker.once('message', ({ results, leaves }: WorkerResult) => {
      resolve(
        results.map((r, i) => {
          if (typeof r === 'string') return r;
          const [seq, prev, hash, origin, time, canonical] = r;
          return { seq, prev, hash, origin, time, canonical, leaf: Buffer.from(leaves.buffer, leaves.byteOffset + i * 32, 32) };
        }),
      );
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`audit parse worker exited with ${code}`)));
    worker.postMessage(texts);
  });
}
