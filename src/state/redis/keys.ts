/**
 * The Redis key layout. Every key starts with the configured prefix; the part in braces is the Cluster hash
 * tag, so keys that one Lua script touches together always share a slot:
 *
 *   {job:<job>}                   hash: rec (JobRecord JSON), completedAt
 *   {job:<job>}:nonce:<nonce>     string "r|<owner>" or "c|<owner>", PX until the nonce retention deadline
 *   {job:<job>}:lease:<lease>     hash: body (LeaseRecord JSON as put), state, expiresAt, renewals, revoke
 *   {job:<job>}:leases            set of lease ids of the job
 *   {job:<job>}:rpending          hash: lease id → revocation recorded with the lease's end, not yet queued
 *   {leases}:at:<lease>           string: the lease's job id (finds the job slot from a lease id)
 *   {leases}:expiry               zset: lease id → expiresAt (a hint: the per-job record is the truth)
 *   {leases}:watch                zset: job id → next time the sweep looks for unqueued revocations
 *   {rq}:stream, {rq}:delayed     revocation stream (consumer group) and retries waiting for their time
 *   {executors}:rec:<id>          hash: meta, enabled, disabledAt, secrets (sealed versions JSON)
 *   {executors}:ids               set of executor ids
 *   {join}:<sha256>               string: JoinTokenRecord JSON, PX until the token expires
 *   {ctr:<key>}:<window>          string: count of one fixed window (rate limits, signals), PX past the window
 *   {set:<key>}                   set: small member set (signals: seen crefs, networks), PX after last add
 *
 * Ids are percent-encoded, so an id can neither end a hash tag early (`}`) nor forge another key (`:`).
 *
 * A job's leases share its slot, so the resolve's commit (nonce consumed, job still open, static leases recorded)
 * and the completion race are decided in ONE script. The `{leases}` keys are global indexes written BEFORE the
 * records they point at (leases.prepare) and treated as hints: the sweep drops an entry whose record is missing
 * and re-reads the record's own expiresAt, so a crash between the two writes leaves nothing wrong, only stale hints.
 */

const enc = (id: string): string => encodeURIComponent(id);

/** Key builder bound to one prefix. */
export class RedisKeys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  job(jobId: string): string {
    return `${this.prefix}{job:${enc(jobId)}}`;
  }

  nonce(jobId: string, nonceKey: string): string {
    return `${this.job(jobId)}:nonce:${enc(nonceKey)}`;
  }

  /** Prefix of the lease record keys of one job; scripts append encoded lease ids to it (same slot by the tag). */
  leaseRecordPrefix(jobId: string): string {
    return `${this.job(jobId)}:lease:`;
  }

  lease(jobId: string, leaseId: string): string {
    return `${this.leaseRecordPrefix(jobId)}${enc(leaseId)}`;
  }

  leasesOfJob(jobId: string): string {
    return `${this.job(jobId)}:leases`;
  }

  /** Revocations recorded with a lease's end in this job's slot, until they are on the queue. */
  revocationsPending(jobId: string): string {
    return `${this.job(jobId)}:rpending`;
  }

  /** Prefix of the global lease-id → job-id locators. */
  get leaseLocatorPrefix(): string {
    return `${this.prefix}{leases}:at:`;
  }

  leaseLocator(leaseId: string): string {
    return `${this.leaseLocatorPrefix}${enc(leaseId)}`;
  }

  get leaseExpiry(): string {
    return `${this.prefix}{leases}:expiry`;
  }

  get revocationWatch(): string {
    return `${this.prefix}{leases}:watch`;
  }

  get revocationStream(): string {
    return `${this.prefix}{rq}:stream`;
  }

  get revocationDelayed(): string {
    return `${this.prefix}{rq}:delayed`;
  }

  get executorRecordPrefix(): string {
    return `${this.prefix}{executors}:rec:`;
  }

  executor(id: string): string {
    return `${this.executorRecordPrefix}${enc(id)}`;
  }

  get executorIds(): string {
    return `${this.prefix}{executors}:ids`;
  }

  joinToken(tokenHash: string): string {
    return `${this.prefix}{join}:${enc(tokenHash)}`;
  }

  /** One window of a counter; all windows of one counter share a slot, so history is one MGET. */
  counterWindow(key: string, windowIndex: number): string {
    return `${this.prefix}{ctr:${enc(key)}}:${windowIndex}`;
  }

  memberSet(key: string): string {
    return `${this.prefix}{set:${enc(key)}}`;
  }
}

/** Encodes an id the way key names do, for scripts that build keys from a prefix. */
export const encodeId = enc;
