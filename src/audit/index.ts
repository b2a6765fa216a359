/**
 * The audit trail behind src/audit/contract.ts. `createAuditTrail` opens the sinks, continues the chain from the
 * last durable line, and returns the `AuditTrail` the gateway records into. Nothing else in the gateway formats,
 * hashes or writes audit lines.
 */
import os from 'node:os';
import path from 'node:path';
import type { AuditConfig } from './config.ts';
import type { AuditEventInput, AuditReceipt, AuditSinkHealth, AuditTrail } from './contract.ts';
import { GENESIS_PREV, lineHash, prepareEvent } from './event_line.ts';
import { openFileSink } from './file_sink.ts';
import { GroupCommit, type ChainHead } from './group_commit.ts';
import { AuditHasher, readAuditKey } from './hmac_keys.ts';
import type { AuditSink } from './sink.ts';
import { stdoutSink } from './stdout_sink.ts';

export type { AuditTrail } from './contract.ts';
export { verifyAuditFile } from './verify_file.ts';

export interface AuditDeps {
  /** Relative paths in the config are resolved against this folder. */
  configDir: string;
  now?: () => number;
  /** An ioredis client for Redis Streams sinks (otherwise one is created from the sink's `url`). */
  redis?: unknown;
  /** Operator notices (torn tail repaired, sink recovered…); default: dropped. */
  notice?: (message: string) => void;
}

/** Opens the sinks, recovers the chain head and returns a ready audit trail. */
export async function createAuditTrail(config: AuditConfig, deps: AuditDeps): Promise<AuditTrail> {
  const now = deps.now ?? Date.now;
  const notice = deps.notice ?? (() => undefined);
  const resolve = (file: string): string => path.resolve(deps.configDir, file);
  const origin = config.origin ?? defaultOrigin();
  const hasher = new AuditHasher(readAuditKey(resolve(config.hmac_key_file)));

  const sinks: AuditSink[] = [];
  try {
    for (const sink of config.sinks) {
      if (sink.type === 'file') {
        sinks.push(await openFileSink({ name: sink.name, required: sink.required, path: resolve(sink.path), now, notice }));
      } else {
        sinks.push(stdoutSink({ name: sink.name, required: sink.required }));
      }
    }
  } catch (err) {
    await Promise.allSettled(sinks.map((s) => s.close()));
    throw err;
  }

  const head = await recoverHead(sinks, origin);
  const commit = new GroupCommit({
    origin,
    head,
    sinks,
    batchMs: config.batch_ms,
    timeoutMs: config.sink_timeout_ms,
    onCommit: () => undefined,
    notice,
  });

  return {
    record(event: AuditEventInput): Promise<AuditReceipt> {
      let prepared;
      try {
        prepared = prepareEvent(event, hasher, now());
      } catch (err) {
        return Promise.reject(err);
      }
      return commit.enqueue(prepared);
    },
    hash: (tenant, value) => hasher.hash(tenant, value),
    async health(): Promise<AuditSinkHealth[]> {
      const refusal = commit.refusal;
      return await Promise.all(
        sinks.map(async (sink) => {
          const own = await sink.health();
          const error = commit.lastError(sink.name) ?? own.detail ?? (sink.required ? refusal : undefined);
          return { name: sink.name, required: sink.required, ok: own.ok && error === undefined, detail: error };
        }),
      );
    },
    async close(): Promise<void> {
      await commit.close();
      await Promise.allSettled(sinks.map((s) => s.close()));
    },
  };
}

/** The chain continues from the last line of the first sink that can read back (the primary file). */
async function recoverHead(sinks: AuditSink[], origin: string): Promise<ChainHead> {
  const primary = sinks.find((s) => s.lastLine !== undefined);
  const last = await primary?.lastLine?.();
  if (last === undefined) return { nextSeq: 0, prev: GENESIS_PREV };
  const parsed = JSON.parse(last) as { seq: number; origin: string };
  if (parsed.origin !== origin) {
    throw new Error(`audit log ${primary!.name} belongs to origin ${parsed.origin}, not ${origin}: each replica needs its own log`);
  }
  return { nextSeq: parsed.seq + 1, prev: lineHash(last) };
}

function defaultOrigin(): string {
  const host = os.hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100) || 'localhost';
  return `crefgate/${host}`;
}
