/** Builds the configured sinks. Relative paths are resolved against the config folder. */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { AuditConfig } from '../config.ts';
import { openFileSink } from './file_sink.ts';
import { openHttpSink } from './http_sink.ts';
import { redisSink } from './redis_sink.ts';
import type { AuditSink } from './sink.ts';
import { stdoutSink } from './stdout_sink.ts';

export interface SinkContext {
  origin: string;
  resolve: (file: string) => string;
  now: () => number;
  notice: (message: string) => void;
  redis?: unknown;
}

export interface OpenedSinks {
  sinks: AuditSink[];
  /** Active paths of the file sinks, primary (first) first. */
  filePaths: string[];
  /** The sink the chain continues from: the first file sink, else the first sink that reads back. */
  primary: AuditSink | undefined;
}

/** Opens every sink; on failure closes those already opened. */
export async function openSinks(config: AuditConfig, ctx: SinkContext): Promise<OpenedSinks> {
  const sinks: AuditSink[] = [];
  const filePaths: string[] = [];
  let primaryFile: AuditSink | undefined;
  try {
    for (const sink of config.sinks) {
      switch (sink.type) {
        case 'file': {
          const file = ctx.resolve(sink.path);
          filePaths.push(file);
          const opened = await openFileSink({
              name: sink.name,
              required: sink.required,
              path: file,
              rotateBytes: sink.rotate_bytes,
              rotateSeconds: sink.rotate_seconds,
              now: ctx.now,
            notice: ctx.notice,
          });
          primaryFile ??= opened;
          sinks.push(opened);
          break;
        }
        case 'stdout':
          sinks.push(stdoutSink({ name: sink.name, required: sink.required }));
          break;
        case 'http':
          sinks.push(
            await openHttpSink({
              name: sink.name,
              required: sink.required,
              url: sink.url,
              format: sink.format,
              token: sink.token_file === undefined ? undefined : readFileSync(ctx.resolve(sink.token_file), 'utf8').trim(),
              spoolDir: ctx.resolve(sink.spool_dir),
              maxBatchEvents: sink.max_batch_events,
              timeoutMs: sink.timeout_ms,
              maxBackoffMs: sink.max_backoff_ms,
              origin: ctx.origin,
            }),
          );
          break;
        case 'redis':
          sinks.push(
            redisSink({
              name: sink.name,
              required: sink.required,
              stream: sink.stream ?? `crefgate:audit:${ctx.origin}`,
              client: sink.url === undefined ? (ctx.redis as Redis | undefined) : undefined,
              url: sink.url ?? (ctx.redis === undefined ? process.env.REDIS_URL : undefined),
            }),
          );
          break;
      }
    }
  } catch (err) {
    await Promise.allSettled(sinks.map((s) => s.close()));
    throw err;
  }
  return { sinks, filePaths, primary: primaryFile ?? sinks.find((s) => s.lastLine !== undefined) };
}
