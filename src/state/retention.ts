/**
 * Retention rules shared by both state stores, so that memory and Redis forget things at the same moments.
 */

/** Job records (and their leases) outlive the job by this much, so late renewals and audits still find them. */
export const JOB_RETENTION_SLACK_MS = 60 * 60 * 1000;

/**
 * Floor for a nonce's lifetime. Redis refuses a non-positive PX, and a token that is already refused by the token
 * step needs no nonce; keeping it one second more costs nothing.
 */
export const NONCE_MIN_TTL_MS = 1000;

/**
 * Kept beyond the last instant any replica accepts the token: covers the distance between a replica's clock
 * (which decides acceptance) and the store's clock (which runs the Redis TTL), and a replica configured with a
 * slightly larger skew than this one. Replicas must agree on `clock_skew_seconds` to within this margin.
 */
export const NONCE_RETENTION_MARGIN_MS = 5000;

/**
 * Epoch ms until which a nonce must be held, from the instant its token is first refused (request_token.ts
 * `tokenRefusedFromMs`, the function the token check itself uses). The stores receive this deadline, never the
 * bare `exp`: for every instant at which a replica would accept the token, its nonce is still held.
 */
export function nonceRetainUntilMs(tokenRefusedFromMs: number): number {
  return tokenRefusedFromMs + NONCE_RETENTION_MARGIN_MS;
}

/** Milliseconds a nonce handled at `now` must still be kept to last until `retainUntil` (epoch ms). */
export function nonceTtlMs(retainUntil: number, now: number): number {
  return Math.max(retainUntil - now, NONCE_MIN_TTL_MS);
}

/** Milliseconds a job record created at `now` must be kept. */
export function jobTtlMs(jobExpiresAt: number, now: number): number {
  return Math.max(jobExpiresAt + JOB_RETENTION_SLACK_MS - now, NONCE_MIN_TTL_MS);
}
