/**
 * Retention rules shared by both state stores, so that memory and Redis forget things at the same moments.
 */

/** Job records (and their leases) outlive the job by this much, so late renewals and audits still find them. */
export const JOB_RETENTION_SLACK_MS = 60 * 60 * 1000;

/**
 * Floor for a nonce's lifetime. Redis refuses a non-positive PX, and a token that is already past `exp` is
 * refused by the token step anyway; keeping the nonce one second more costs nothing.
 */
export const NONCE_MIN_TTL_MS = 1000;

/** Milliseconds a nonce reserved at `now` for a token expiring at `expiresAt` must be kept. */
export function nonceTtlMs(expiresAt: number, now: number): number {
  return Math.max(expiresAt - now, NONCE_MIN_TTL_MS);
}

/** Milliseconds a job record created at `now` must be kept. */
export function jobTtlMs(jobExpiresAt: number, now: number): number {
  return Math.max(jobExpiresAt + JOB_RETENTION_SLACK_MS - now, NONCE_MIN_TTL_MS);
}
