/**
 * The one error base class of crefgate. Every failure a client can see is a GatewayError with a stable
 * string `code`; the error middleware (src/http/error_middleware.ts) is the only place that turns it into an
 * HTTP status and body. `reason` and `cause` are for the audit line and operators, never for the client.
 */

/** Coarse codes a client may see. Kept deliberately few so that denials do not teach an attacker the chain. */
export type ErrorCode =
  | 'malformed'
  | 'unauthenticated'
  | 'forbidden'
  | 'replayed'
  | 'expired'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** Where in the resolve chain (or around it) a request was stopped; recorded in the audit line. */
export type Step =
  | 'tls'
  | 'shape'
  | 'executor'
  | 'hmac'
  | 'token'
  | 'binding'
  | 'scope'
  | 'nonce'
  | 'backend'
  | 'lease'
  | 'audit'
  | 'commit'
  | 'auth'
  | 'policy'
  | 'rate_limit'
  | 'proxy';

export const statusOf: Record<ErrorCode, number> = {
  malformed: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  replayed: 409,
  conflict: 409,
  expired: 401,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

const publicMessages: Record<ErrorCode, string> = {
  malformed: 'the request is malformed',
  unauthenticated: 'the request could not be authenticated',
  forbidden: 'the request is not allowed',
  replayed: 'the envelope has already been used',
  expired: 'the envelope or job has expired',
  not_found: 'no such resource',
  conflict: 'the resource is in a conflicting state',
  payload_too_large: 'the request body is too large',
  unsupported_media_type: 'the request body must be application/json',
  rate_limited: 'too many requests',
  unavailable: 'the service is temporarily unavailable',
  internal: 'internal error',
};

export interface GatewayErrorOptions {
  /** Chain step or phase that failed; goes to the audit line. */
  step?: Step;
  /** Precise, operator-facing reason (no secret material); goes to the audit line, never to the client. */
  reason?: string;
  /**
   * Client-facing detail. Only set it for mistakes in the client's own input (a schema path), where telling
   * the client helps and teaches nothing about secrets or the chain.
   */
  detail?: string;
  /** Seconds the client should wait (rate limits, throttled backends). */
  retryAfter?: number;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly step: Step | undefined;
  readonly reason: string;
  readonly detail: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, options: GatewayErrorOptions = {}) {
    super(options.detail ?? publicMessages[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = statusOf[code];
    this.step = options.step;
    this.reason = options.reason ?? code;
    this.detail = options.detail;
    this.retryAfter = options.retryAfter;
  }

  /** The message a client may read: the public text of the code, plus detail about its own input if any. */
  get publicMessage(): string {
    return this.detail === undefined ? publicMessages[this.code] : `${publicMessages[this.code]}: ${this.detail}`;
  }
}

/** Shorthand used by the chain steps: `deny('forbidden', 'scope', 'cref outside tenant')`. */
export function deny(code: ErrorCode, step: Step, reason: string, detail?: string): GatewayError {
  return new GatewayError(code, { step, reason, detail });
}

/** Wraps anything thrown into a GatewayError; unknown errors become `internal` and keep their cause. */
export function asGatewayError(err: unknown, step?: Step): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('internal', { step, reason: 'unexpected error', cause: err });
}
