/**
 * The secret-version grace rule, in one place: after a rotation the previous HMAC secret still verifies until
 * `supersededAt + graceMs` (that instant included), then never again. Verification (chain step 4), the public
 * executor view, the rotation answer and the pruning of old versions all read it from here, so what the gateway
 * accepts, what it says it accepts and what it keeps can never drift apart. It lives with the records it reads
 * (not in src/executors/) because the state stores prune with it and state sits below executors.
 */

/** The part of a secret version the rule reads. */
export interface GraceSubject {
  supersededAt?: number | undefined;
}

/** Where a version stands at an instant: the current one, superseded but still accepted, or retired. */
export type SecretStatus = 'current' | 'grace' | 'retired';

/** The current version is the one no rotation has superseded yet: new envelopes are tagged with it. */
export function isCurrent(version: GraceSubject): boolean {
  return version.supersededAt === undefined;
}

/** The last instant (ms) a superseded version is accepted; undefined for the current version, which has no end. */
export function acceptedUntil(version: GraceSubject, graceMs: number): number | undefined {
  return isCurrent(version) ? undefined : version.supersededAt! + graceMs;
}

/** Whether a version may still verify at `now` (ms). */
export function isAccepted(version: GraceSubject, graceMs: number, now: number): boolean {
  const until = acceptedUntil(version, graceMs);
  return until === undefined || now <= until;
}

/** The status a version has at `now` (ms). */
export function secretStatus(version: GraceSubject, graceMs: number, now: number): SecretStatus {
  if (isCurrent(version)) return 'current';
  return isAccepted(version, graceMs, now) ? 'grace' : 'retired';
}
