/**
 * The audit trail behind src/audit/contract.ts (exported by src/audit/index.ts). `createAuditTrail` opens the sinks, continues the chain (and the
 * Merkle tree) from the last durable line, starts the checkpointer and returns the `AuditTrail` the gateway
 * records into. Nothing else in the gateway formats, hashes or writes audit lines.
 */
import os from 'node:os';
import path from 'node:path';
import type { AuditConfig } from '../config.ts';
import type { AuditEventInput, AuditReceipt, AuditSinkHealth, AuditTrail } from '../contract.ts';
import { Checkpointer } from './checkpointer.ts';
import { prepareEvent } from './event_line.ts';
import { GENESIS_PREV, lineHash } from '../log/line.ts';
import { GroupCommit, type ChainHead } from './group_commit.ts';
import { AuditHasher, readAuditKey } from './hmac_keys.ts';
import { KeyRing, publishKeys } from './key_ring.ts';
import { LiveFeed, type LineListener } from './live_feed.ts';
import { checkpointsPath, logSegments, publicKeysPath, readLines } from '../log/log_files.ts';
import { CompactRange, leafHash } from '../log/merkle.ts';
import { openSinks } from '../sinks/open_sinks.ts';
import type { AuditSink, CheckpointRecord } from '../sinks/sink.ts';
import { AuditObservers, observedRecord, type AuditObserver } from './observer.ts';
import { WitnessPool } from './witness_client.ts';
import { parseCosignerKey } from '../log/cosignature.ts';

/** The trail plus what the audit stream route needs. */
export interface StreamingAuditTrail extends AuditTrail {
  /** The origin (log name) of this replica. */
  readonly origin: string;
  /** Seq the next committed event will get (the size of the committed log). */
  readonly nextSeq: number;
  /** Delivers committed lines from `fromSeq` on, then live ones; resolves to an unsubscribe function. */
  subscribe(fromSeq: number, onLine: LineListener): Promise<() => void>;
}

export interface AuditDeps {
  /** Relative paths in the config are resolved against this folder. */
  configDir: string;
  now?: () => number;
  /** An ioredis client for Redis Streams sinks without their own `url`. */
  redis?: unknown;
  /** Operator notices (torn tail repaired, checkpoint skipped…); default: dropped. */
  notice?: (message: string) => void;
  /** Told of every record outcome, sink write and committed batch, for metrics (src/ops/); default: none. */
  observer?: AuditObserver | undefined;
}

/** Opens the sinks, recovers the chain head and returns a ready audit trail. */
export async function createAuditTrail(config: AuditConfig, deps: AuditDeps): Promise<StreamingAuditTrail> {
  const now = deps.now ?? Date.now;
  const notice = deps.notice ?? (() => undefined);
  // The construction-time observer (metrics) and those registered later with `observe` (docs/audit.md).
  const observers = new AuditObservers(notice);
  if (deps.observer !== undefined) observers.add(deps.observer);
  const resolve = (file: string): string => path.resolve(deps.configDir, file);
  const origin = config.origin ?? defaultOrigin();
  const hasher = new AuditHasher(readAuditKey(resolve(config.hmac_key_file)));
  const ring = KeyRing.fromFiles(origin, [
    ...(config.signing_key_file === undefined ? [] : [{ file: resolve(config.signing_key_file) }]),
    ...config.signing_keys.map((k) => ({ ...k, file: resolve(k.file) })),
  ]);

  const { sinks, filePaths, primary: primarySink } = await openSinks(config, { origin, resolve, now, notice, redis: deps.redis });
  let checkpointer: Checkpointer | undefined;
  let commit: GroupCommit;
  let commitRecord: (event: AuditEventInput) => Promise<AuditReceipt> = () => Promise.reject(new Error('the trail is not open yet'));
  /** Checkpoint copies on their way to a sink: close() lets them land before it closes the sinks. */
  const forwarding = new Set<Promise<void>>();
  try {
    const head = await recoverHead(primarySink, origin);
    for (const sink of sinks) {
      // An unreachable sink must not keep the gateway from starting: its batches fail (closed) until it is back.
      await sink.resume?.(head.nextSeq).catch((err: Error) => notice(`audit sink ${sink.name}: could not resume: ${err.message}`));
    }
    const primary = filePaths[0];
    if (!ring.empty && primary !== undefined) {
      for (const file of filePaths) await publishKeys(publicKeysPath(file), ring);
      const range = await rebuildRange(primary, head.nextSeq);
      const witnesses = config.witnesses.length === 0 ? undefined : new WitnessPool({
        origin,
        witnesses: config.witnesses.map((w) => ({ url: w.url, key: parseCosignerKey(w.key), timeoutMs: w.timeout_ms, attempts: w.attempts })),
        range: () => range,
        reload: (size, end) => reloadTree(primary, size, end),
        store: (note, cp) => checkpointer?.storeCosigned(note, cp),
        // An alert is recorded like any event, but nothing waits for it: a witness never holds up a request.
        alert: (event) => void commitRecord(event).catch((err: Error) => notice(`witness alert not recorded: ${err.message}`)),
        notice,
      });
      checkpointer = new Checkpointer({
        origin,
        ring,
        files: filePaths.map(checkpointsPath),
        range,
        intervalMs: config.checkpoint_interval_ms,
        heartbeatMs: config.checkpoint_heartbeat_s * 1000,
        now,
        notice,
        witnesses,
        onCheckpoint: (note, cp) => forwardCheckpoint(sinks, { type: 'checkpoint', origin, size: cp.size, note }, forwarding, notice),
      });
      await checkpointer.start();
    } else if (!ring.empty) {
      notice('checkpoints need a file sink: none configured, so no checkpoints are signed');
    } else if (config.witnesses.length > 0) {
      notice('witnesses are configured but no checkpoint key: nothing is sent to them');
    }
    const feed = new LiveFeed(
      (from, to) => readCommitted(primary, from, to),
      () => commit.committedHead.nextSeq,
    );
    commit = new GroupCommit({
      origin,
      head,
      sinks,
      batchMs: config.batch_ms,
      timeoutMs: config.sink_timeout_ms,
      onCommit: (batch) => {
        checkpointer?.onCommit(batch);
        feed.publish(batch);
      },
      notice,
      observer: observers,
    });
    const trail = trailOver(commit, hasher, sinks, now, origin, feed, checkpointer, forwarding, observers);
    commitRecord = (event) => trail.record(event);
    return trail;
  } catch (err) {
    await checkpointer?.close();
    await Promise.allSettled(sinks.map((s) => s.close()));
    throw err;
  }
}

function trailOver(
  commit: GroupCommit,
  hasher: AuditHasher,
  sinks: AuditSink[],
  now: () => number,
  origin: string,
  feed: LiveFeed,
  checkpointer: Checkpointer | undefined,
  forwarding: Set<Promise<void>>,
  observers: AuditObservers,
): StreamingAuditTrail {
  const append = (event: AuditEventInput): Promise<AuditReceipt> => {
    let prepared: ReturnType<typeof prepareEvent>;
    try {
      prepared = prepareEvent(event, hasher, now());
    } catch (err) {
      return Promise.reject(err);
    }
    return commit.enqueue(prepared);
  };
  return {
    origin,
    get nextSeq() {
      return commit.committedHead.nextSeq;
    },
    record: observedRecord(observers, append),
    observe: (observer) => observers.add(observer),
    hash: (tenant, value) => hasher.hash(tenant, value),
    subscribe: (fromSeq, onLine) => feed.subscribe(fromSeq, onLine),
    async health(): Promise<AuditSinkHealth[]> {
      const refusal = commit.refusal;
      return await Promise.all(
        sinks.map(async (sink) => {
          const own = await sink.health();
          const error = commit.lastError(sink.name) ?? (sink.required ? refusal : undefined) ?? (own.ok ? undefined : own.detail);
          return { name: sink.name, required: sink.required, ok: own.ok && error === undefined, detail: error ?? own.detail };
        }),
      );
    },
    async close(): Promise<void> {
      await commit.close();
      await checkpointer?.close();
      await Promise.allSettled([...forwarding]);
      await Promise.allSettled(sinks.map((s) => s.close()));
    },
  };
}

/** The chain continues from the last line of the primary log (src/audit/sinks/open_sinks.ts picks it). */
async function recoverHead(primary: AuditSink | undefined, origin: string): Promise<ChainHead> {
  const last = await primary?.lastLine?.();
  if (last === undefined) return { nextSeq: 0, prev: GENESIS_PREV };
  const parsed = JSON.parse(last) as { seq: number; origin: string };
  if (parsed.origin !== origin) {
    throw new Error(`audit log ${primary!.name} belongs to origin ${parsed.origin}, not ${origin}: each replica needs its own log`);
  }
  return { nextSeq: parsed.seq + 1, prev: lineHash(last) };
}

/** Hands a checkpoint to every sink that keeps a copy (best effort: the local `.checkpoints` file is the record). */
function forwardCheckpoint(sinks: AuditSink[], record: CheckpointRecord, forwarding: Set<Promise<void>>, notice: (message: string) => void): void {
  for (const sink of sinks) {
    const copy = sink.checkpoint?.(record).catch((err: Error) => notice(`audit sink ${sink.name}: checkpoint ${record.size} not copied: ${err.message}`));
    if (copy !== undefined) {
      forwarding.add(copy);
      void copy.finally(() => forwarding.delete(copy));
    }
  }
}


/** The frontier at `size` and the leaves [size, end) of the primary log, for a witness behind the proof window. */
async function reloadTree(primary: string, size: number, end: number): Promise<{ range: CompactRange; leaves: Buffer[] }> {
  const range = new CompactRange();
  const leaves: Buffer[] = [];
  for await (const line of readLines(await logSegments(primary))) {
    if (!line.complete || range.size + leaves.length >= end) break;
    if (range.size < size) range.append(leafHash(line.text));
    else leaves.push(leafHash(line.text));
  }
  if (range.size + leaves.length !== end) throw new Error(`audit log ${primary} holds fewer than ${end} lines`);
  return { range, leaves };
}

/** Recomputes the Merkle frontier from the primary log (one pass at start-up). */
async function rebuildRange(primary: string, expectedSize: number): Promise<CompactRange> {
  const range = new CompactRange();
  for await (const line of readLines(await logSegments(primary))) if (line.complete) range.append(leafHash(line.text));
  if (range.size !== expectedSize) throw new Error(`audit log ${primary} holds ${range.size} lines but ends at seq ${expectedSize - 1}`);
  return range;
}

async function* readCommitted(primary: string | undefined, fromSeq: number, toSeq: number): AsyncGenerator<{ line: string; seq: number }> {
  if (primary === undefined) throw new Error('replaying the audit stream needs a file sink');
  for await (const line of readLines(await logSegments(primary))) {
    if (!line.complete) continue;
    const seq = (JSON.parse(line.text) as { seq: number }).seq;
    if (seq >= toSeq) return;
    if (seq >= fromSeq) yield { line: line.text, seq };
  }
}

function defaultOrigin(): string {
  const host = os.hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100) || 'localhost';
  return `crefgate/${host}`;
}
