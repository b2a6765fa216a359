/** Worker side of parse_parallel.ts: parses the one share of lines it is sent and posts the results back. */
import { parentPort } from 'node:worker_threads';
import { parseLine } from './chain_check.ts';

export interface WorkerResult {
  /** Per line: the malformed reason, or [seq, prev, hash, origin, time, canonical]. */
  results: Array<string | [number, string, string, string, string, boolean]>;
  /** Leaf hash of line i at bytes [32·i, 32·i + 32). */
  leaves: Uint8Array;
}

parentPort?.once('message', (texts: string[]) => {
  const leaves = new Uint8Array(texts.length * 32);
  const results = texts.map((text, i): WorkerResult['results'][number] => {
    const parsed = parseLine(text);
    if (typeof parsed === 'string') return parsed;
    leaves.set(parsed.leaf, i * 32);
    return [parsed.seq, parsed.prev, parsed.hash, parsed.origin, parsed.time, parsed.canonical];
  });
  parentPort!.postMessage({ results, leaves } satisfies WorkerResult, [leaves.buffer]);
});
