/**
 * Layout of one log on disk. The active file is `path`; rotation renames it to `path.<first seq, 12 digits>` and
 * starts a new `path`, so the chain (seq, prev) simply continues into the next file. Checkpoints of the log live
 * in `path.checkpoints` and its published public keys in `path.keys.json`.
 */
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';

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

const CHUNK_BYTES = 1 << 20;

/** Sees every batch of lines read here (count and bytes), for the CLI's progress line; unset in library use. */
export const readObserver: { onRead?: ((lines: number, bytes: number) => void) | undefined } = {};

/** Calls `onLine` with each newline-terminated line of `data` from `start`; returns where the unterminated rest begins. */
function eachLine(data: Buffer, start: number, onLine: (text: string) => void): number {
  let from = start;
  for (let nl = data.indexOf(0x0a, from); nl >= 0; nl = data.indexOf(0x0a, from)) {
    onLine(data.toString('utf8', from, nl));
    from = nl + 1;
  }
  return from;
}

/**
 * The lines of the given files in order, a chunk (about 1 MB) at a time, flagging a last line that lacks its
 * newline. Lines end at "\n" only: a raw "\r" stays in the line (no canonical line holds one), so a tampered line
 * is reported, not silently re-split. Read by hand rather than with node:readline, whose per-line async
 * iteration was a large part of `audit verify` time.
 */
export async function* readLineBatches(files: string[]): AsyncGenerator<LogLine[]> {
  for (const file of files) {
    const handle = await open(file, 'r');
    try {
      let carry: Buffer = Buffer.alloc(0);
      let lineNo = 0;
      for (;;) {
        const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
        const { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, null);
        if (bytesRead === 0) break;
        const data = carry.length === 0 ? chunk.subarray(0, bytesRead) : Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
        const batch: LogLine[] = [];
        const start = eachLine(data, 0, (text) => batch.push({ file, lineNo: ++lineNo, text, complete: true }));
        carry = Buffer.from(data.subarray(start));
        readObserver.onRead?.(batch.length, bytesRead);
        if (batch.length > 0) yield batch;
      }
      if (carry.length > 0) yield [{ file, lineNo: ++lineNo, text: carry.toString('utf8'), complete: false }];
    } finally {
      await handle.close();
    }
  }
}

/** Streams the lines of the given files in order, flagging a last line that lacks its newline. */
export async function* readLines(files: string[]): AsyncGenerator<LogLine> {
  for await (const batch of readLineBatches(files)) yield* batch;
}

/** Every line of the given files, in order. */
export async function readAllLines(files: string[]): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const batch of readLineBatches(files)) for (const line of batch) lines.push(line);
  return lines;
}

/** A line of one byte range of a log: `fileIndex` into the files given, `lineNo` counted from the range's start. */
export interface RangeLine {
  fileIndex: number;
  lineNo: number;
  text: string;
  complete: boolean;
}

const EXTEND_BYTES = 64 * 1024;

/**
 * The lines whose first byte lies in [from, to) of the files taken end to end (`sizes`: their sizes), so that
 * ranges cut anywhere split the log into disjoint sets of whole lines: a range skips the line it starts in the
 * middle of (the previous range ends it) and reads past `to` to finish its own last line. Line numbers restart at
 * 1 in each file part the range holds; the caller adds the lines of that file in earlier ranges.
 */
export async function readLineRange(files: readonly string[], sizes: readonly number[], from: number, to: number): Promise<RangeLine[]> {
  const out: RangeLine[] = [];
  let base = 0;
  for (const [fileIndex, file] of files.entries()) {
    const size = sizes[fileIndex]!;
    const localFrom = Math.max(from, base) - base;
    const localTo = Math.min(to, base + size) - base;
    base += size;
    if (localFrom >= localTo) continue;
    const handle = await open(file, 'r');
    try {
      // One byte before the range says whether a line starts exactly at its first byte.
      const readFrom = Math.max(0, localFrom - 1);
      const parts = [await readAt(handle, readFrom, localTo - readFrom)];
      let end = localTo;
      while (end < size && parts.at(-1)!.at(-1) !== 0x0a) {
        const more = await readAt(handle, end, Math.min(EXTEND_BYTES, size - end));
        const nl = more.indexOf(0x0a);
        parts.push(nl < 0 ? more : more.subarray(0, nl + 1));
        end += nl < 0 ? more.length : nl + 1;
        if (more.length === 0) break;
      }
      const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      let start = 0;
      if (localFrom > 0) {
        const nl = data.indexOf(0x0a);
        if (nl < 0) continue; // one line spans the whole range: it belongs to an earlier range
        start = nl + 1;
      }
      let lineNo = 0;
      start = eachLine(data, start, (text) => out.push({ fileIndex, lineNo: ++lineNo, text, complete: true }));
      if (start < data.length) out.push({ fileIndex, lineNo: ++lineNo, text: data.toString('utf8', start), complete: false });
      readObserver.onRead?.(lineNo, localTo - localFrom);
    } finally {
      await handle.close();
    }
  }
  return out;
}

async function readAt(handle: Awaited<ReturnType<typeof open>>, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const { bytesRead } = await handle.read(buf, read, length - read, position + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return buf.subarray(0, read);
}
