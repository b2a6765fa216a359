/**
 * Redis Streams sink: each line is an entry `XADD <stream> * seq <seq> line <line>`, a batch in one MULTI. Durable
 * means acknowledged by Redis; how durable that is depends on the server's AOF/replication settings. A rolled-back
 * batch is removed with XDEL. Checkpoints go to the stream `<stream>:checkpoints` (`size <n> note <note>`), kept
 * apart so that the event stream's last entry is always an event (the chain continues from it).
 */
import { Redis } from 'ioredis';
import type { AuditSink, CheckpointRecord, CommitBatch } from './sink.ts';

export interface RedisSinkOptions {
  name: string;
  required: boolean;
  stream: string;
  /** A client owned by the caller (not closed here), or a URL to connect to. */
  client?: Redis | undefined;
  url?: string | undefined;
}

/** Opens a Redis Streams sink. */
export function redisSink(options: RedisSinkOptions): AuditSink {
  const owned = options.client === undefined;
  const client = options.client ?? new Redis(options.url ?? 'redis://127.0.0.1:6379', { lazyConnect: false, maxRetriesPerRequest: 1 });
  const added = new Map<number, string[]>();
  let lastError: string | undefined;
  // ioredis reports connection trouble as 'error' events; a failed write reports it to the trail anyway.
  if (owned) client.on('error', (err: Error) => (lastError = err.message));
  // A rollback must wait for a write that outlived the trail's timeout, or it would miss that write's entries.
  let pending: Promise<unknown> = Promise.resolve();

  return {
    name: options.name,
    required: options.required,
    async lastLine() {
      const [entry] = await client.xrevrange(options.stream, '+', '-', 'COUNT', 1);
      const fields = entry?.[1] ?? [];
      const at = fields.indexOf('line');
      return at >= 0 ? fields[at + 1] : undefined;
    },
    async resume(nextSeq: number) {
      // Entries at or past the recovered head were never acknowledged (a crash between sinks): drop them.
      for (;;) {
        const [entry] = await client.xrevrange(options.stream, '+', '-', 'COUNT', 1);
        if (entry === undefined) return;
        const fields = entry[1];
        const seq = Number(fields[fields.indexOf('seq') + 1]);
        if (!(seq >= nextSeq)) return;
        await client.xdel(options.stream, entry[0]);
      }
    },
    async write(batch: CommitBatch) {
      const multi = client.multi();
      batch.lines.forEach((line, i) => {
        multi.xadd(options.stream, '*', 'seq', String(batch.firstSeq + i), 'line', line);
      });
      const exec = multi.exec();
      pending = exec.catch(() => undefined);
      try {
        const results = (await exec) ?? [];
        const ids = results.map(([err, id]) => {
          if (err) throw err;
          return String(id);
        });
        added.set(batch.firstSeq, ids);
        lastError = undefined;
      } catch (err) {
        lastError = (err as Error).message;
        throw err;
      }
    },
    committed(batch: CommitBatch) {
      added.delete(batch.firstSeq);
    },
    async rollback(batch: CommitBatch) {
      await pending;
      const ids = added.get(batch.firstSeq);
      added.delete(batch.firstSeq);
      if (ids !== undefined && ids.length > 0) await client.xdel(options.stream, ...ids);
    },
    async checkpoint(record: CheckpointRecord) {
      await client.xadd(`${options.stream}:checkpoints`, '*', 'size', String(record.size), 'note', record.note);
    },
    async health() {
      try {
        await client.ping();
        return { ok: lastError === undefined, detail: lastError };
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
    },
    async close() {
      if (owned) client.disconnect();
    },
  };
}
