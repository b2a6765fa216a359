/** Worker side of parse_parallel.ts: reads and parses one byte range of a log, posts the results back once. */
import { parentPort, workerData } from 'node:worker_threads';
import { parseLine } from './chain_check.ts';
import { readLineRange } from '../log/log_files.ts';

export interface WorkerTask {
  files: string[];
  sizes: number[];
  from: number;
  to: number;
}

export interface WorkerResult {
  /** Per line: [fileIndex, lineNo within the range, complete]. */
  lines: Array<[number, number, boolean]>;
  /** Per line: the malformed reason, or [seq, prev, hash, origin, time, canonical]. */
  results: Array<string | [number, string, string, string, string, boolean]>;
  /** Leaf hash of line i at bytes [32·i, 32·i + 32). */
  leaves: Uint8Array;
}

if (parentPort !== null) {
  const { files, sizes, from, to } = workerData as WorkerTask;
  const range = await readLineRange(files, sizes, from, to);
  const leaves = new Uint8Array(range.length * 32);
  const results = range.map((line, i): WorkerResult['results'][number] => {
    const parsed = parseLine(line.text);
    if (typeof parsed === 'string') return parsed;
    leaves.set(parsed.leaf, i * 32);
    return [parsed.seq, parsed.prev, parsed.hash, parsed.origin, parsed.time, parsed.canonical];
  });
  const lines = range.map((l): [number, number, boolean] => [l.fileIndex, l.lineNo, l.complete]);
  parentPort.postMessage({ lines, results, leaves } satisfies WorkerResult, [leaves.buffer]);
}
