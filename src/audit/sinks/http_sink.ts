/**
 * HTTP sink for a SIEM (Splunk HEC compatible, or plain NDJSON). `write` only appends the batch to a local spool
 * file and fsyncs it: that is what "durable" means for this sink, so a SIEM outage never blocks or drops events.
 * A shipper posts committed lines from the spool in batches and advances a delivered offset (kept in
 * `<name>.offset`) only on a 2xx; failures retry with capped exponential backoff. The spool is emptied once
 * everything in it was delivered. Checkpoints are spooled and shipped like events (`sourcetype
 * crefgate:checkpoint` in HEC), but only once every batch before them committed: a checkpoint that arrives while a
 * batch is in flight waits for it, so the shipper never sends an uncommitted line.
 */
import { mkdir, open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { checkpointLine, type AuditSink, type CheckpointRecord, type CommitBatch } from './sink.ts';

export interface HttpSinkOptions {
  name: string;
  required: boolean;
  url: string;
  format: 'hec' | 'ndjson';
  token?: string | undefined;
  spoolDir: string;
  maxBatchEvents: number;
  timeoutMs: number;
  maxBackoffMs: number;
  origin: string;
}

const COMPACT_AT = 1 << 20;

/** Opens the spool and starts shipping whatever it still holds. */
export async function openHttpSink(options: HttpSinkOptions): Promise<AuditSink> {
  await mkdir(options.spoolDir, { recursive: true });
  const spoolPath = path.join(options.spoolDir, `${options.name}.spool`);
  const offsetPath = path.join(options.spoolDir, `${options.name}.offset`);
  const spool: FileHandle = await open(spoolPath, 'a+', 0o600);
  let size = (await spool.stat()).size;
  let delivered = Number((await readFile(offsetPath, 'utf8').catch(() => '0')).trim()) || 0;
  let committedUpTo = size;
  let chain: Promise<unknown> = Promise.resolve();
  const offsets = new Map<number, number>();
  let lastError: string | undefined;
  let backoff = 0;
  let timer: NodeJS.Timeout | undefined;
  let shipping = false;
  let closed = false;
  let deferred: string[] = [];

  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const run = chain.then(op);
    chain = run.catch(() => undefined);
    return run;
  };

  const schedule = (delay: number): void => {
    if (closed || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void ship();
    }, delay);
    timer.unref();
  };

  const ship = async (): Promise<void> => {
    if (shipping || closed || delivered >= committedUpTo) return;
    shipping = true;
    try {
      const buf = Buffer.alloc(Math.min(committedUpTo - delivered, 4 << 20));
      const { bytesRead } = await spool.read(buf, 0, buf.length, delivered);
      const text = buf.subarray(0, bytesRead).toString('utf8');
      const lines = text.split('\n').slice(0, -1).slice(0, options.maxBatchEvents);
      if (lines.length === 0) return;
      await post(options, lines);
      delivered += Buffer.byteLength(lines.join('\n'), 'utf8') + 1;
      await writeAtomic(offsetPath, String(delivered));
      lastError = undefined;
      backoff = 0;
      if (delivered >= size && size >= COMPACT_AT) await serial(compact);
      schedule(0);
    } catch (err) {
      lastError = `delivery failed: ${(err as Error).message}`;
      backoff = Math.min(options.maxBackoffMs, backoff === 0 ? 200 : backoff * 2);
      schedule(backoff);
    } finally {
      shipping = false;
    }
  };

  const compact = async (): Promise<void> => {
    if (delivered < size) return;
    await spool.truncate(0);
    await spool.datasync();
    size = 0;
    delivered = 0;
    committedUpTo = 0;
    await writeAtomic(offsetPath, '0');
  };

  /**
   * Appends to the spool and fsyncs; `size` grows only once the bytes are durable. A failed append is cut off
   * again (now, or before the next append if the cut fails too): bytes past `size` were never acknowledged, and
   * the shipper reads the spool by offset, so they would reach the SIEM in place of the lines that follow.
   */
  let torn = false;
  const append = async (bytes: Buffer): Promise<void> => {
    if (torn) {
      await spool.truncate(size);
      torn = false;
    }
    try {
      await spool.write(bytes, 0, bytes.length, null);
      await spool.datasync();
    } catch (err) {
      torn = true;
      await spool.truncate(size).then(
        () => (torn = false),
        () => undefined,
      );
      throw err;
    }
    size += bytes.length;
  };

  // Spools checkpoint lines held back while a batch was in flight (or given now): only with no batch pending.
  const flushCheckpoints = (): Promise<void> =>
    serial(async () => {
      if (offsets.size > 0 || deferred.length === 0) return;
      const bytes = Buffer.from(deferred.join(''), 'utf8');
      deferred = [];
      await append(bytes);
      committedUpTo = size;
      schedule(0);
    });

  schedule(0);
  return {
    name: options.name,
    required: options.required,
    async resume(nextSeq: number) {
      // Lines at or past the recovered head were never acknowledged: they must not reach the SIEM.
      const text = (await readFile(spoolPath, 'utf8')).slice(delivered);
      let keep = delivered;
      for (const line of text.split('\n').slice(0, -1)) {
        if ((JSON.parse(line) as { seq: number }).seq >= nextSeq) break;
        keep += Buffer.byteLength(line, 'utf8') + 1;
      }
      if (keep < size) await spool.truncate(keep);
      size = keep;
      committedUpTo = keep;
    },
    write(batch: CommitBatch) {
      return serial(async () => {
        offsets.set(batch.firstSeq, size);
        await append(Buffer.from(batch.text, 'utf8'));
      });
    },
    committed(batch: CommitBatch) {
      const start = offsets.get(batch.firstSeq);
      offsets.delete(batch.firstSeq);
      if (start !== undefined) committedUpTo = Math.max(committedUpTo, start + Buffer.byteLength(batch.text, 'utf8'));
      schedule(0);
      if (offsets.size === 0 && deferred.length > 0) void flushCheckpoints().catch(() => undefined);
    },
    checkpoint(record: CheckpointRecord) {
      deferred.push(`${checkpointLine(record)}\n`);
      return flushCheckpoints();
    },
    rollback(batch: CommitBatch) {
      return serial(async () => {
        const start = offsets.get(batch.firstSeq);
        offsets.delete(batch.firstSeq);
        if (start === undefined || start >= size) return;
        await spool.truncate(start);
        await spool.datasync();
        size = start;
      }).then(() => flushCheckpoints());
    },
    async health() {
      const backlog = committedUpTo - delivered;
      return { ok: lastError === undefined, detail: lastError ?? (backlog > 0 ? `${backlog} bytes spooled` : undefined) };
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await chain;
      await spool.close();
    },
  };
}

async function post(options: HttpSinkOptions, lines: string[]): Promise<void> {
  const hec = options.format === 'hec';
  const body = hec
    ? lines
        .map((line) => {
          const event = JSON.parse(line) as { time?: string; type?: string };
          const time = event.time === undefined ? undefined : Date.parse(event.time) / 1000;
          const sourcetype = event.type === 'checkpoint' ? 'crefgate:checkpoint' : 'crefgate:audit';
          return JSON.stringify({ time, host: options.origin, source: 'crefgate', sourcetype, event });
        })
        .join('\n')
    : `${lines.join('\n')}\n`;
  const headers: Record<string, string> = { 'content-type': hec ? 'application/json' : 'application/x-ndjson' };
  if (options.token !== undefined) headers.authorization = hec ? `Splunk ${options.token}` : `Bearer ${options.token}`;
  const response = await fetch(options.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(options.timeoutMs) });
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new Error(`collector answered ${response.status}`);
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}
