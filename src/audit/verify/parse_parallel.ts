/**
 * Reads and parses a large log on several threads. Each line is parsed, canonical-checked and hashed twice (chain
 * and Merkle leaf) on its own, which with the reading is most of `audit verify`'s time; only the linking that
 * follows (checkChain) needs the lines together. The log's bytes are cut into one range per thread
 * (readLineRange gives each range whole lines); workers send back only what the checks need, not the text.
 * Below PARALLEL_MIN_BYTES, or on one core, the caller reads and parses inline: a worker would cost more.
 */
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { parseLine, type ParsedLine } from './chain_check.ts';
import { readLineRange, readObserver, type LogLine, type RangeLine } from '../log/log_files.ts';
import type { WorkerResult, WorkerTask } from './parse_worker.ts';

export const PARALLEL_MIN_BYTES = 8 * 1024 * 1024;
const MAX_WORKERS = 3;
/** The calling thread's range is this many times a worker's: a worker first has to start (load its modules). */
const OWN_WEIGHT = 1.3;

export interface ParsedLog {
  /** Every line in order; `text` is empty for lines parsed on a worker (`parsed` holds what the checks need). */
  lines: LogLine[];
  parsed: ParsedLine[];
}

/** Reads and parses `files` on worker threads when they are large enough; undefined means: do it inline. */
export async function readAndParseParallel(files: readonly string[], minBytes = PARALLEL_MIN_BYTES): Promise<ParsedLog | undefined> {
  const workers = Math.min(MAX_WORKERS, availableParallelism() - 1);
  if (workers < 1) return undefined;
  const sizes = await Promise.all(files.map((f) => stat(f).then((s) => s.size)));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total < minBytes || total === 0) return undefined;
  const share = Math.ceil(total / (workers + OWN_WEIGHT));
  const own = total - share * workers;
  const offloaded = Array.from({ length: workers }, (_, i) => onWorker({ files: [...files], sizes, from: own + i * share, to: own + (i + 1) * share }));
  const mine = await readLineRange(files, sizes, 0, own);
  const parts: Array<{ lines: RangeLine[]; parsed: ParsedLine[] }> = [{ lines: mine, parsed: mine.map((l) => parseLine(l.text)) }];
  parts.push(...(await Promise.all(offloaded)));
  for (const [i, part] of parts.slice(1).entries()) readObserver.onRead?.(part.lines.length, Math.max(0, Math.min(total, own + (i + 1) * share) - (own + i * share)));

  // Line numbers restart in each range: add the lines the same file had in the ranges before.
  const seen = new Array<number>(files.length).fill(0);
  const lines: LogLine[] = [];
  const parsed: ParsedLine[] = [];
  for (const part of parts) {
    const before = [...seen];
    for (const [i, line] of part.lines.entries()) {
      lines.push({ file: files[line.fileIndex]!, lineNo: before[line.fileIndex]! + line.lineNo, text: line.text, complete: line.complete });
      parsed.push(part.parsed[i]!);
      seen[line.fileIndex] = Math.max(seen[line.fileIndex]!, before[line.fileIndex]! + line.lineNo);
    }
  }
  return { lines, parsed };
}

/** One worker: reads and parses its byte range, then exits. */
function onWorker(task: WorkerTask): Promise<{ lines: RangeLine[]; parsed: ParsedLine[] }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./parse_worker.ts', import.meta.url), { workerData: task });
    worker.once('message', ({ lines, results, leaves }: WorkerResult) => {
      resolve({
        lines: lines.map(([fileIndex, lineNo, complete]) => ({ fileIndex, lineNo, complete, text: '' })),
        parsed: results.map((r, i) => {
          if (typeof r === 'string') return r;
          const [seq, prev, hash, origin, time, canonical] = r;
          return { seq, prev, hash, origin, time, canonical, leaf: Buffer.from(leaves.buffer, leaves.byteOffset + i * 32, 32) };
        }),
      });
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`audit parse worker exited with ${code}`)));
  });
}
