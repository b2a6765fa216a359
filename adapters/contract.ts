/**
 * The adapter contract: one shape for every secret backend, in the spirit of Vault's plugin interface.
 * `read` serves static secrets; an adapter that can mint dynamic credentials adds `issue`, and `renew` /
 * `revoke` when the backend supports them. The gateway never talks to a backend except through this contract.
 */
import type { ZodType } from 'zod';
import { GatewayError, type ErrorCode } from '../src/errors.ts';
import type { JsonValue } from '../src/json/value.ts';

/** JSON-safe data an adapter stores in a lease so that renew/revoke need nothing else (Vault's InternalData). */
export type { JsonValue };

/** A secret value as handed to the executor: a string, or a flat map for structured secrets without a field. */
export type SecretPayload = string | Record<string, string>;

export interface ReadRequest {
  /** Backend path produced by the route template (already validated against the cref grammar). */
  path: string;
  /** Select one key of a structured secret (Vault KV field, JSON key of an AWS secret). */
  field?: string | undefined;
  /** Pin a version; adapters define what a version string means (Vault KV number, AWS VersionId…). */
  version?: string | undefined;
  /** Aborted when the mount's timeout fires or the request is cancelled. */
  signal: AbortSignal;
}

export interface StaticSecret {
  value: SecretPayload;
  /** `base64` when the backend held binary data. */
  encoding?: 'utf8' | 'base64';
  version?: string | undefined;
  contentType?: string | undefined;
}

/** Who the dynamic credential is for: adapters put these into session names, tags and metadata. */
export interface JobContext {
  jobId: string;
  tenant: string;
  executor: string;
  /** Job end, epoch milliseconds. No credential may outlive it. */
  expiresAt: number;
  /** What the coordinator bound the job to (`repository`, `ref`, `sha`, `run_id`, `workflow`), from the signed payload. */
  bindings?: Readonly<Record<string, string>> | undefined;
}

export interface IssueRequest {
  path: string;
  field?: string | undefined;
  /** Longest lifetime the gateway allows: seconds until the job ends (always ≥ 1). */
  maxTtlSeconds: number;
  job: JobContext;
  /** Route-specific options (e.g. an inline session policy) from config, already validated by the adapter. */
  routeOptions?: Record<string, JsonValue> | undefined;
  signal: AbortSignal;
}

export interface DynamicSecret {
  value: SecretPayload;
  /** Lifetime the backend granted, seconds. The gateway caps its own lease at the job end regardless. */
  leaseDuration: number;
  renewable: boolean;
  /** False when the backend cannot revoke this credential (STS sessions): the lease records it. */
  revocable: boolean;
  /** Everything renew/revoke need, stored in the lease record. Must not contain the secret value. */
  handle: JsonValue;
}

export interface RenewRequest {
  handle: JsonValue;
  /** Requested extension, seconds; already capped by the gateway at the job end. */
  incrementSeconds: number;
  signal: AbortSignal;
}

export interface RenewResult {
  leaseDuration: number;
  handle?: JsonValue;
  /**
   * Set when the backend could not extend the credential and minted a replacement instead (GitHub tokens
   * live one hour): the new value for the lease holder, with `handle` its revoke handle. The gateway records
   * the replacement as a new lease and queues revocation of the old credential.
   */
  value?: SecretPayload;
}

export interface RevokeRequest {
  handle: JsonValue;
  signal: AbortSignal;
}

/** What a revoke did at the backend (sessions ended, user dropped…): goes into the revocation's audit detail. */
export type RevokeOutcome = Record<string, JsonValue>;

/**
 * A credential the backend holds on record as issued by this mount (a database user with crefgate's prefix),
 * for orphan sweeps and reconciliation. `id` is the credential's name at the backend; the handle that `issue`
 * returned for it carries the same value as `username`.
 */
export interface IssuedCredential {
  id: string;
  /** What `revoke` needs to remove it. */
  handle: JsonValue;
  /** Intent recorded with it at the backend; absent when the backend holds none (then it is an orphan). */
  jobId?: string | undefined;
  jobExpiresAt?: number | undefined;
  /** Epoch ms of creation, when known: the sweeper leaves young credentials to their in-flight resolve. */
  createdAt?: number | undefined;
}

export interface HealthReport {
  ok: boolean;
  /** Operator-facing detail; never includes credentials. */
  detail?: string;
}

/** The contract every backend implements. Optional methods mark capabilities. */
export interface SecretAdapter {
  /** Adapter kind, e.g. `vault`, `aws-secrets-manager`. */
  readonly kind: string;
  read(request: ReadRequest): Promise<StaticSecret>;
  issue?(request: IssueRequest): Promise<DynamicSecret>;
  renew?(request: RenewRequest): Promise<RenewResult>;
  /** Idempotent: revoking something already gone succeeds. May say what it did, for the audit trail. */
  // biome-ignore lint/suspicious/noConfusingVoidType: adapters with nothing to report keep their `Promise<void>` revoke
  revoke?(request: RevokeRequest): Promise<void | RevokeOutcome>;
  /** Credentials this mount created that the backend still holds (orphan sweep, reconciliation). */
  listIssued?(signal: AbortSignal): Promise<IssuedCredential[]>;
  health(signal: AbortSignal): Promise<HealthReport>;
  close(): Promise<void>;
}

/** What the registry hands a factory besides its validated options. */
export interface AdapterContext {
  /** Mount name from config, for messages and metrics. */
  mount: string;
  /** Directory for adapter state (the local store's files); absolute. */
  stateDir: string;
  /** Directory of the config file, to resolve relative paths in options. */
  configDir: string;
}

/** A registered adapter kind: validates its own options and builds instances. */
export interface AdapterFactory<Options = unknown> {
  readonly kind: string;
  readonly optionsSchema: ZodType<Options>;
  create(options: Options, context: AdapterContext): SecretAdapter | Promise<SecretAdapter>;
}

/** Typed adapter failures. `retryable` ones may be retried by the resilience layer. */
export type AdapterErrorKind =
  | 'not_found'
  | 'permission_denied'
  | 'invalid_reference'
  | 'throttled'
  | 'unavailable'
  | 'integrity'
  | 'timeout';

const codeOfKind: Record<AdapterErrorKind, ErrorCode> = {
  not_found: 'not_found',
  permission_denied: 'forbidden',
  invalid_reference: 'malformed',
  throttled: 'unavailable',
  unavailable: 'unavailable',
  integrity: 'unavailable',
  timeout: 'unavailable',
};

/**
 * An adapter failure. The SDK error goes in `cause` (for operators); the client only ever sees the coarse
 * code. `reason` must be safe to log: the adapter writes it, never copying backend error text verbatim.
 */
export class AdapterError extends GatewayError {
  readonly kind: AdapterErrorKind;
  readonly retryable: boolean;

  constructor(kind: AdapterErrorKind, reason: string, options: { cause?: unknown; retryAfter?: number } = {}) {
    super(codeOfKind[kind], { step: 'backend', reason: `${kind}: ${reason}`, cause: options.cause, retryAfter: options.retryAfter });
    this.name = 'AdapterError';
    this.kind = kind;
    this.retryable = kind === 'throttled' || kind === 'unavailable' || kind === 'timeout';
  }
}
