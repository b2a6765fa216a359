/**
 * Layout of one log on disk. The active file is `path`; rotation renames it to `path.<first seq, 12 digits>` and
 * starts a new `path`, so the chain (seq, prev) simply continues into the next file. Checkpoints of the log live
 * in `path.checkpoints` and its published public keys in `path.keys.json`.
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** Name of the rotated segment whose first event has `firstSeq`. */
export function segmentPath(activePath: string, firstSeq: number): string {
  return `${activePath}.${String(firstSeq).padStart(12, '0')}`;
}

export function checkpointsPath(activePath: string): string {
  return `${activePath}.checkpoints`;
}

export function publicKeysPath(activePath: string): string {
  return `${activePath}.keys.json`;
}

/** Every file of the log, oldest first: rotated segments by first seq, then the active file if it exists. */
export async function logSegments(activePath: string): Promise<string[]> {
  const dir = path.dirname(activePath);
  const base = path.basename(activePath);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const rotated = names
    .filter((name) => name.startsWith(`${base}.`) && /^\d{12,}$/.test(name.slice(base.length + 1)))
    .sort((a, b) => Number(a.slice(base.length + 1)) - Number(b.slice(base.length + 1)))
    .map((name) => path.join(dir, name));
  if (names.includes(base)) rotated.push(activePath);
  return rotated;
}

export interface LogLine {
  file: string;
  /** 1-based line number within its file. */
  lineNo: number;
  text: string;
  /** False for a last line with no trailing newline (a torn write). */
  complete: boolean;
}

/** Streams the lines of the given files in order, flagging a last line that lacks its newline. */
export async function* readLines(files: string[]): AsyncGenerator<LogLine> {
  for (const file of files) {
    const stream = createReadStream(file);
    let endsWithNewline = true;
    stream.on('data', (chunk) => {
      const buf = chunk as Buffer;
      if (buf.length > 0) endsWithNewline = buf[buf.length - 1] === 0x0a;
    });
    const reader = createInterface({ input: stream, crlfDelay: Infinity });
    let pending: LogLine | undefined;
    let lineNo = 0;
    for await (const text of reader) {
      if (pending !== undefined) yield pending;
      lineNo++;
      pending = { file, lineNo, text, complete: true };
    }
    if (pending !== undefined) yield { ...pending, complete: endsWithNewline };
  }
}
