/**
 * The audit contract the gateway writes to. An event is answered to the client only after `record` resolves,
 * which means the event is durable in every required sink (fail closed). Everything in src/audit/ sits behind
 * this interface; the gateway never formats, hashes or writes audit lines itself.
 */
import type { JsonValue } from '../json/value.ts';
import type { ErrorCode, Step } from '../errors.ts';

export type AuditAction =
  | 'job.issue'
  | 'resolve'
  | 'lease.renew'
  | 'lease.revoke'
  | 'lease.expire'
  | 'job.complete'
  | 'revocation'
  | 'executor.register'
  | 'executor.rotate'
  | 'executor.disable'
  | 'executor.enable'
  | 'executor.join_token'
  | 'executor.certificate'
  /** Successful reads: who looked at what is part of the compliance trail too. */
  | 'executor.list'
  | 'executor.read'
  | 'audit.stream.open'
  | 'audit.stream.close'
  | 'alert'
  | 'proxy.request'
  | 'request';

export type AuditOutcome = 'granted' | 'denied' | 'error' | 'ok';

export interface AuditActor {
  /** Role the identity was mapped to, or `unknown` before it was. */
  type: 'executor' | 'coordinator' | 'admin' | 'auditor' | 'system' | 'unknown';
  id: string;
  /** How the identity was proven. */
  auth: 'mtls' | 'oidc' | 'join_token' | 'system' | 'none';
  /** `sha256:<hex>` of the client certificate, when mTLS. */
  fingerprint?: string | undefined;
}

/** What the gateway supplies; the trail adds v, origin, seq, time, event_id and prev. */
export interface AuditEventInput {
  action: AuditAction;
  outcome: AuditOutcome;
  /** For denials/errors: the coarse code sent to the client, the failing step and the precise reason. */
  code?: ErrorCode | undefined;
  step?: Step | undefined;
  reason?: string | undefined;
  actor: AuditActor;
  tenant?: string | undefined;
  job_id?: string | undefined;
  executor?: string | undefined;
  /** cref strings (references are not secret). */
  crefs?: string[] | undefined;
  lease_ids?: string[] | undefined;
  request_id?: string | undefined;
  /** Client source address. */
  source?: string | undefined;
  /**
   * Sensitive request material (token, nonce, HMAC tag…). The trail writes each only as
   * `hmac-sha256:<hex>` under the tenant's audit key; the clear value never reaches a sink.
   */
  sensitive?: Record<string, string> | undefined;
  /** Extra non-secret facts (lease durations, rule that decided, backend request ids…). */
  detail?: Record<string, JsonValue> | undefined;
}

export interface AuditReceipt {
  seq: number;
  event_id: string;
}

export interface AuditSinkHealth {
  name: string;
  required: boolean;
  ok: boolean;
  detail?: string | undefined;
}

export interface AuditTrail {
  /** Resolves once the event is durable in every required sink; rejects with an `unavailable` GatewayError otherwise. */
  record(event: AuditEventInput): Promise<AuditReceipt>;
  /** `hmac-sha256:<hex>` of a value under the tenant's audit key (what `crefgate audit hash` prints). */
  hash(tenant: string | undefined, value: string): string;
  health(): Promise<AuditSinkHealth[]>;
  /** Flushes pending events and closes sinks. */
  close(): Promise<void>;
  /**
   * Registers an observer (src/audit/trail/observer.ts) after the trail exists: it is told of every record
   * outcome from now on, without `sensitive` values, and cannot change one. Returns the function that removes it.
   */
  observe(observer: AuditObserverPart): () => void;
}

/* The observer hook (the fan-out and the record wrapper are in ./trail/observer.ts; docs/audit.md). */

/** One `record()` call settled: durable in every required sink (`receipt`), or refused (`ok: false`). */
export interface RecordOutcome {
  /** The event as recorded, without its `sensitive` member: clear values never reach an observer. */
  event: Omit<AuditEventInput, 'sensitive'>;
  ok: boolean;
  receipt?: AuditReceipt | undefined;
  /** From `record()` to the outcome. */
  seconds: number;
}

/** One sink's write of one batch. */
export interface SinkWrite {
  sink: string;
  required: boolean;
  firstSeq: number;
  count: number;
  seconds: number;
  ok: boolean;
}

/** A batch became durable in every required sink: every seq below `nextSeq` is committed. */
export interface BatchCommitted {
  firstSeq: number;
  count: number;
  nextSeq: number;
}

export interface AuditObserver {
  onRecord(outcome: RecordOutcome): void;
  onSinkResult(write: SinkWrite): void;
  onBatch(batch: BatchCommitted): void;
}

/** What `AuditTrail.observe` takes: any part of an observer (the detector only wants `onRecord`). */
export type AuditObserverPart = Partial<AuditObserver>;
