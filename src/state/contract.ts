/**
 * The state-store contract: everything gateway replicas must share so that they behave as one. Two
 * implementations: memory (the embedded default, one process) and Redis (any number of replicas).
 * Every method either does what it says atomically or throws; a StateUnavailableError means "fail closed".
 */
import type { JsonValue } from '../json/value.ts';
import { GatewayError } from '../errors.ts';

/** Thrown when the store cannot be reached in bounded time. The gateway answers 503 and releases nothing. */
export class StateUnavailableError extends GatewayError {
  constructor(reason: string, cause?: unknown) {
    // Retry-After: 1 — a failover or reconnect is usually over within seconds; the client should come back.
    super('unavailable', { reason: `state store: ${reason}`, cause, retryAfter: 1 });
    this.name = 'StateUnavailableError';
  }
}

// ---------------------------------------------------------------------------------------------- jobs

export interface JobRecord {
  jobId: string;
  tenant: string;
  executor: string;
  /** Identity of the coordinator that issued it (may complete it and manage its leases). */
  coordinator: string;
  crefs: Record<string, string>;
  /** Epoch ms. */
  issuedAt: number;
  /** Job end, epoch ms: every lease ends by then. */
  expiresAt: number;
  /** Set when the job is completed; later resolves and renewals are refused. */
  completedAt?: number | undefined;
  /** The payload's bindings (src/envelope/bindings.ts): a lease of a bound job is renewed only by a matching workload identity. */
  bindings?: Readonly<Record<string, string>> | undefined;
}

export interface JobStore {
  /** Stores a new job; it is kept until `expiresAt` (plus the store's retention slack). */
  create(job: JobRecord): Promise<void>;
  get(jobId: string): Promise<JobRecord | undefined>;
  /** Marks the job completed. Returns the record, or undefined if unknown. Idempotent. */
  complete(jobId: string, at: number): Promise<JobRecord | undefined>;
}

// -------------------------------------------------------------------------------------------- nonces

export type ReserveOutcome = 'reserved' | 'replayed' | 'job_unknown' | 'job_completed';

export interface ReserveRequest {
  nonceKey: string;
  jobId: string;
  owner: string;
  retainUntil: number;
  executorId: string;
}

export interface ReserveResult {
  outcome: ReserveOutcome;
  executorVersion?: number | undefined;
}

/** `not_held`: the reservation is not (or no longer) this owner's; nothing was recorded. */
export type CommitOutcome = 'committed' | 'job_unknown' | 'job_completed' | 'not_held';

/** What one resolve's commit records, in one atomic step (see NonceStore.commit). */
export interface CommitRequest {
  nonceKey: string;
  jobId: string;
  owner: string;
  /** Epoch ms until which the consumed nonce is held (src/state/retention.ts nonceRetainUntilMs). */
  retainUntil: number;
  /** The resolve's static leases, all of job `jobId`; passed through `leases.prepare` first unless `commitIndexesLeases`. */
  leases: LeaseRecord[];
}

export interface NonceStore {
  /**
   * Atomically: the job exists and is open, and the nonce was never seen → reserve it for `owner` until
   * `retainUntil` (epoch ms: the last instant any replica accepts the token plus a margin, from
   * src/state/retention.ts `nonceRetainUntilMs`; never the bare `exp`). Exactly one caller gets 'reserved'.
   */
  reserve(nonceKey: string, jobId: string, owner: string, retainUntil: number): Promise<ReserveOutcome>;
  /**
   * `reserve`, and in the same atomic step the current version of executor `executorId` (undefined when the
   * executor is unknown, or when this store cannot read it in that step: Redis Cluster, where the registry and
   * the job live in different slots; `readsExecutorVersion` says which).
   */
  reserveFor(request: ReserveRequest): Promise<ReserveResult>;
  /** True when `reserveFor` returns the executor version atomically (callers may then cache executor records). */
  readonly readsExecutorVersion: boolean;
  /**
   * The resolve's commit, ONE atomic step: the nonce is reserved by `owner`, the job exists and is not completed →
   * the nonce becomes consumed (held until `retainUntil`) and the static leases are recorded. Anything else
   * records nothing and says why. Idempotent: a nonce this owner already consumed answers 'committed' again
   * (its leases were recorded by that first commit). A lease id that exists already is a `conflict` error.
   */
  commit(request: CommitRequest): Promise<CommitOutcome>;
  /**
   * True when `commit` also writes its leases' global indexes (what `leases.prepare` writes) in the same atomic
   * step, so the caller skips `prepare` (memory; Redis off Cluster). False: prepare them before the commit.
   */
  readonly commitIndexesLeases: boolean;
  /** Drops a reservation held by `owner` so the executor may retry the same envelope. Never a consumed nonce. */
  release(nonceKey: string, jobId: string, owner: string): Promise<void>;
  /**
   * Drops what `owner` holds, reserved or consumed. Only for a commit that failed without an answer: the store
   * may have applied it, but the response (the secrets) was never sent, so the envelope is not spent.
   */
  revertConsume(nonceKey: string, jobId: string, owner: string): Promise<void>;
}

// -------------------------------------------------------------------------------------------- leases

export type LeaseState = 'active' | 'revoked' | 'expired';

export interface LeaseRecord {
  leaseId: string;
  jobId: string;
  tenant: string;
  executor: string;
  alias: string;
  cref: string;
  mount: string;
  /** Epoch ms. */
  issuedAt: number;
  /** Current end of the lease, epoch ms; never after `jobExpiresAt`. */
  expiresAt: number;
  jobExpiresAt: number;
  renewable: boolean;
  /** Whether the backend can revoke the credential (false for STS sessions; they expire on their own). */
  revocable: boolean;
  /** Set for dynamic credentials: what the adapter's renew/revoke need. Never the secret itself. */
  handle?: JsonValue | undefined;
  state: LeaseState;
  renewals: number;
}

export interface LeaseStore {
  /**
   * Registers leases in the store's global indexes (lookup by id, expiry, revocation watch) ahead of the step
   * that records them (`put`, or the resolve's `nonces.commit`). Harmless if that step never happens: an index
   * entry whose record is missing is dropped by the sweep. The per-job record is the truth.
   */
  prepare(leases: LeaseRecord[]): Promise<void>;
  /**
   * Records new leases of ONE job (all or none), prepared first by this call. Refused with `expired` (step
   * `commit`) if the job is completed, so a lease recorded after a completion closed its job cannot exist.
   */
  put(leases: LeaseRecord[]): Promise<void>;
  get(leaseId: string): Promise<LeaseRecord | undefined>;
  listByJob(jobId: string): Promise<LeaseRecord[]>;
  /**
   * Atomically extends an active lease to `newExpiresAt` (the caller has capped it at the job end). Returns the
   * updated record, or undefined if the lease is not active any more.
   */
  renew(leaseId: string, newExpiresAt: number): Promise<LeaseRecord | undefined>;
  /**
   * Atomically moves an active lease to `revoked` AND records its backend revocation (for a lease with a
   * revocable handle) in that same step: a lease never leaves `active` without what its revocation needs being
   * durable. Returns the record as it was if this call did it, undefined if it had already ended or is unknown.
   */
  revoke(leaseId: string, cause: string): Promise<LeaseRecord | undefined>;
  /**
   * Claims up to `limit` active leases whose `expiresAt` ≤ `now`, moving them to `expired` and recording their
   * backend revocations (cause `lease_expired`) in the same atomic step. Each lease is claimed by exactly one caller.
   */
  claimExpired(now: number, limit: number): Promise<LeaseRecord[]>;
  /**
   * Moves revocations recorded with a lease's state change but not yet on the queue (the process died or the
   * queue failed in between) onto the queue. Run by the sweeper; returns how many it moved.
   */
  recoverRevocations(now: number, limit: number): Promise<number>;
  /** Number of active leases (for metrics). */
  countActive(): Promise<number>;
}

// ---------------------------------------------------------------------------------- revocation queue

export interface RevocationTask {
  leaseId: string;
  mount: string;
  handle: JsonValue;
  /** Why: `job_completed`, `lease_revoked`, `lease_expired`, `resolve_aborted`. */
  cause: string;
  enqueuedAt: number;
  /** Whose credential it is, for the revocation's audit lines (absent in tasks recorded before these fields). */
  tenant?: string | undefined;
  jobId?: string | undefined;
  executor?: string | undefined;
}

export interface ClaimedRevocation {
  /** Queue entry id, for ack/retry. */
  id: string;
  task: RevocationTask;
  /** How many times it was attempted before this claim (0 on first delivery). */
  attempts: number;
}

/**
 * Durable at-least-once queue for backend revocations. A task is recorded before the revoke is attempted;
 * it stays until acked; a replica that dies leaves its claims to be taken over by another.
 */
export interface RevocationQueue {
  enqueue(task: RevocationTask): Promise<void>;
  /**
   * Returns tasks that are due for `consumer`: new ones, ones whose retry delay has passed, and ones claimed
   * by a consumer that has not acked or retried them for `staleAfterMs` (it is presumed dead).
   */
  claim(consumer: string, max: number, staleAfterMs: number): Promise<ClaimedRevocation[]>;
  ack(id: string): Promise<void>;
  /** Keeps the task and makes it due again after `delayMs`. */
  retry(id: string, delayMs: number): Promise<void>;
  /** Tasks not yet acked (for metrics and tests). */
  depth(): Promise<number>;
}

// -------------------------------------------------------------------------------- executor registry

export interface HmacSecretVersion {
  /** Envelope `kid`: names the version that signed. */
  kid: string;
  secret: Buffer;
  createdAt: number;
  /** When a newer version replaced it; it is accepted until `supersededAt + graceMs`. */
  supersededAt?: number | undefined;
}

export interface ExecutorRecord {
  id: string;
  tenant: string;
  /** Identities bound to it: SPIFFE URIs and/or `sha256:<hex>` certificate fingerprints. */
  identities: string[];
  /** cref patterns it may be issued (glob: `*` one segment, `**` any rest). Empty: nothing. */
  allowedCrefs: string[];
  enabled: boolean;
  createdAt: number;
  disabledAt?: number | undefined;
  /** Newest first. At most the current one and the previous one still inside its grace window matter. */
  secrets: HmacSecretVersion[];
  /** Grace window for the previous secret after a rotation, ms. */
  graceMs: number;
  /**
   * Set by the store: incremented in the same atomic step as every change of the record (register, rotate,
   * enable, disable), so a process may cache the record and validate it against the version the nonce
   * reservation reads (NonceStore.reserveFor).
   */
  version?: number | undefined;
}

export interface ExecutorRegistry {
  get(id: string): Promise<ExecutorRecord | undefined>;
  /** Registers a new executor; false if the id exists (nothing changed). */
  register(record: ExecutorRecord): Promise<boolean>;
  /** Adds a new current secret version, marking the old current one superseded at `at`. Atomic. */
  rotate(id: string, version: HmacSecretVersion, at: number): Promise<ExecutorRecord | undefined>;
  /** Disables immediately, everywhere. Returns the updated record or undefined if unknown. */
  setEnabled(id: string, enabled: boolean, at: number): Promise<ExecutorRecord | undefined>;
  list(tenant?: string): Promise<ExecutorRecord[]>;
}

// ------------------------------------------------------------------------------------- join tokens

/** A one-time bootstrap credential for one executor's first certificate. Only its SHA-256 is stored. */
export interface JoinTokenRecord {
  /** hex SHA-256 of the token. */
  tokenHash: string;
  executor: string;
  tenant: string;
  /** Admin identity that created it. */
  createdBy: string;
  createdAt: number;
  /** Epoch ms; the store forgets it then. */
  expiresAt: number;
}

export interface JoinTokenStore {
  /** Stores a new token (kept until its expiry); false if that hash exists already. */
  put(record: JoinTokenRecord): Promise<boolean>;
  /** Atomically removes and returns the token if it is still valid at `now`: exactly one caller ever gets it. */
  consume(tokenHash: string, now: number): Promise<JoinTokenRecord | undefined>;
}

// ------------------------------------------------------------------------------ counters and sets

/** One fixed window of a counter after an increment. */
export interface WindowCount {
  /** Hits counted in the window, this one included. */
  count: number;
  /** Epoch ms at which the window ends and a fresh count starts. */
  resetAt: number;
}

/**
 * Fixed-window counters shared by replicas (rate limits, denial bursts, activity baselines). Windows are aligned
 * to multiples of `windowMs` since the epoch, so every replica agrees which window an instant falls in.
 */
export interface CounterStore {
  /** Atomically adds `by` (default 1) to the window of `key` containing `at`; the window is kept `retainWindows` (default 1) windows. */
  increment(key: string, windowMs: number, at: number, options?: { by?: number; retainWindows?: number }): Promise<WindowCount>;
  /** Counts of the `windows` windows just before the one containing `at`, oldest first (0 where nothing was counted). */
  history(key: string, windowMs: number, at: number, windows: number): Promise<number[]>;
}

/** Small string sets that expire `ttlMs` after their last addition (crefs an executor read, networks it came from). */
export interface MemberSetStore {
  /** Atomically adds `members`; returns the ones that were new and how many the set held before. */
  add(key: string, members: string[], ttlMs: number): Promise<{ added: string[]; sizeBefore: number }>;
}

// ------------------------------------------------------------------------------------------- store

export interface StateHealth {
  ok: boolean;
  detail?: string;
}

export interface StateStore {
  readonly kind: 'memory' | 'redis';
  readonly jobs: JobStore;
  readonly nonces: NonceStore;
  readonly leases: LeaseStore;
  readonly revocations: RevocationQueue;
  readonly executors: ExecutorRegistry;
  readonly joinTokens: JoinTokenStore;
  /** Shared counters for rate limits and security signals (src/ratelimit, src/signals). */
  readonly counters: CounterStore;
  /** Shared small sets for security signals (seen crefs and networks per executor). */
  readonly sets: MemberSetStore;
  health(): Promise<StateHealth>;
  close(): Promise<void>;
}
