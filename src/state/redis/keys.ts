/**
 * The Redis key layout. Every key starts with the configured prefix; the part in braces is the Cluster hash
 * tag, so keys that one Lua script touches together always share a slot:
 *
 *   {job:<job>}                   hash: rec (JobRecord JSON), completedAt
 *   {job:<job>}:nonce:<nonce>     string "r|<owner>" or "c|<owner>", PX until the token's exp
 *   {leases}:rec:<lease>          hash: body (LeaseRecord JSON as put), state, expiresAt, renewals
 *   {leases}:job:<job>            set of lease ids of one job
 *   {leases}:expiry               zset: active lease id → expiresAt
 *   {rq}:stream, {rq}:delayed     revocation stream (consumer group) and retries waiting for their time
 *   {executors}:rec:<id>          hash: meta, enabled, disabledAt, secrets (sealed versions JSON)
 *   {executors}:ids               set of executor ids
 *   {join}:<sha256>               string: JoinTokenRecord JSON, PX until the token expires
 *   {ctr:<key>}:<window>          string: count of one fixed window (rate limits, signals), PX past the window
 *   {set:<key>}                   set: small member set (signals: seen crefs, networks), PX after last add
 *
 * Ids are percent-encoded, so an id can neither end a hash tag early (`}`) nor forge another key (`:`).
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

  /** Prefix of lease record keys; the sweep script appends encoded lease ids to it (same slot by the tag). */
  get leaseRecordPrefix(): string {
    return `${this.prefix}{leases}:rec:`;
  }

  lease(leaseId: string): string {
    return `${this.leaseRecordPrefix}${enc(leaseId)}`;
  }

  leasesOfJob(jobId: string): string {
    return `${this.prefix}{leases}:job:${enc(jobId)}`;
  }

  get leaseExpiry(): string {
    return `${this.prefix}{leases}:expiry`;
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
