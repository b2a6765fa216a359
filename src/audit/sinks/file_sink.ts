/**
 * Append-only file sink with fsync. On open it repairs a torn tail left by a crash (the partial line is copied
 * to `<path>.torn-<ms>` for forensics, then cut off), so the chain continues from the last complete line. It
 * rotates by size or age between batches, never inside one, so the chain runs on across files.
 */
import { mkdir, open, rename, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { segmentPath } from '../log/log_files.ts';
import type { AuditSink, CommitBatch } from './sink.ts';

export interface FileSinkOptions {
  name: string;
  required: boolean;
  path: string;
  rotateBytes?: number | undefined;
  rotateSeconds?: number | undefined;
  now: () => number;
  notice: (message: string) => void;
}

const TAIL_CHUNK = 64 * 1024;

/** Opens (creating if needed) the log file and repairs its tail. */
export async function openFileSink(options: FileSinkOptions): Promise<AuditSink & { readonly path: string }> {
  await mkdir(path.dirname(options.path), { recursive: true });
  let handle = await open(options.path, 'a+', 0o600);
  // A device or FIFO would never behave as an append-only log (reading /dev/full never ends): refuse it up front.
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw new Error(`audit log ${options.path} is not a regular file`);
  }
  let state = await repairTail(handle, options);
  let lastError: string | undefined;
  // Serialises writes and rollbacks: a rollback must wait for a write that outlived its timeout.
  let chain: Promise<unknown> = Promise.resolve();
  const offsets = new Map<number, number>();

  const rotateIfDue = async (): Promise<void> => {
    if (state.size === 0 || state.firstSeq === undefined) return;
    const bySize = options.rotateBytes !== undefined && state.size >= options.rotateBytes;
    const byAge = options.rotateSeconds !== undefined && options.now() - state.startedAt >= options.rotateSeconds * 1000;
    if (!bySize && !byAge) return;
    await handle.close();
    await rename(options.path, segmentPath(options.path, state.firstSeq));
    await fsyncDir(path.dirname(options.path));
    handle = await open(options.path, 'a+', 0o600);
    state = { size: 0, lastLine: state.lastLine, firstSeq: undefined, startedAt: options.now() };
  };

  const doWrite = async (batch: CommitBatch): Promise<void> => {
    await rotateIfDue();
    offsets.set(batch.firstSeq, state.size);
    const bytes = Buffer.from(batch.text, 'utf8');
    let written = 0;
    while (written < bytes.length) written += (await handle.write(bytes, written)).bytesWritten;
    await handle.datasync();
    state.size += bytes.length;
    state.firstSeq ??= batch.firstSeq;
    state.lastLine = batch.lines[batch.lines.length - 1];
  };

  const undoWrite = async (batch: CommitBatch): Promise<void> => {
    const offset = offsets.get(batch.firstSeq);
    offsets.delete(batch.firstSeq);
    if (offset === undefined) return;
    const stat = await handle.stat();
    if (stat.size > offset) {
      await handle.truncate(offset);
      await handle.datasync();
    }
    state.size = offset;
    if (offset === 0) state.firstSeq = undefined;
  };

  return {
    name: options.name,
    required: options.required,
    path: options.path,
    async lastLine() {
      return state.lastLine;
    },
    write(batch) {
      const op = chain.then(() => doWrite(batch));
      chain = op.then(
        () => {
          lastError = undefined;
          return undefined;
        },
        (err: Error) => {
          lastError = err.message;
        },
      );
      return op;
    },
    rollback(batch) {
      const op = chain.then(() => undoWrite(batch));
      chain = op.catch(() => undefined);
      return op;
    },
    async health() {
      return { ok: lastError === undefined, detail: lastError };
    },
    async close() {
      await chain;
      await handle.close();
    },
  };
}

interface TailState {
  size: number;
  lastLine: string | undefined;
  firstSeq: number | undefined;
  startedAt: number;
}

async function repairTail(handle: FileHandle, options: FileSinkOptions): Promise<TailState> {
  let size = (await handle.stat()).size;
  if (size === 0) return { size, lastLine: undefined, firstSeq: undefined, startedAt: options.now() };
  let buf = await readRange(handle, Math.max(0, size - TAIL_CHUNK), size);
  let end = buf.length;
  // A complete log ends in '\n'; anything after the last newline is a write that a crash cut short. A last
  // "line" that is not JSON (zero-filled blocks after power loss) is treated the same way.
  let cut = newlineAtOrBefore(buf, end - 1);
  if (cut !== end - 1 || !parses(lastLineOf(buf, cut))) {
    if (cut === end - 1) cut = newlineAtOrBefore(buf, end - 2);
    if (cut < 0 && buf.length < size) throw new Error(`audit log ${options.path}: last line longer than ${TAIL_CHUNK} bytes`);
    const keepUpTo = size - buf.length + cut + 1;
    const torn = buf.subarray(cut + 1);
    await writeFile(`${options.path}.torn-${options.now()}`, torn, { mode: 0o600 });
    await handle.truncate(keepUpTo);
    await handle.datasync();
    options.notice(`audit log ${options.path}: removed a torn tail of ${torn.length} bytes (kept in a .torn file)`);
    size = keepUpTo;
    buf = buf.subarray(0, cut + 1);
    end = buf.length;
  }
  const lastLine = size === 0 ? undefined : lastLineOf(buf, end - 1);
  const first = size === 0 ? undefined : firstLine(await readRange(handle, 0, Math.min(size, TAIL_CHUNK)));
  return {
    size,
    lastLine,
    firstSeq: first?.seq,
    startedAt: first?.time === undefined ? options.now() : Date.parse(first.time),
  };
}

// Buffer#lastIndexOf reads a negative offset from the end, which is never what a scan backwards wants.
function newlineAtOrBefore(buf: Buffer, index: number): number {
  return index < 0 ? -1 : buf.lastIndexOf(0x0a, index);
}

function lastLineOf(buf: Buffer, newlineAt: number): string {
  const start = newlineAtOrBefore(buf, newlineAt - 1) + 1;
  return buf.subarray(start, newlineAt).toString('utf8');
}

function parses(line: string): boolean {
  try {
    const value = JSON.parse(line) as { seq?: unknown };
    return typeof value.seq === 'number';
  } catch {
    return false;
  }
}

function firstLine(buf: Buffer): { seq: number; time?: string } | undefined {
  const nl = buf.indexOf(0x0a);
  try {
    return JSON.parse(buf.subarray(0, nl < 0 ? buf.length : nl).toString('utf8')) as { seq: number; time?: string };
  } catch {
    return undefined;
  }
}

async function readRange(handle: FileHandle, from: number, to: number): Promise<Buffer> {
  const buf = Buffer.alloc(to - from);
  let read = 0;
  while (read < buf.length) {
    const { bytesRead } = await handle.read(buf, read, buf.length - read, from + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return buf.subarray(0, read);
}

async function fsyncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
