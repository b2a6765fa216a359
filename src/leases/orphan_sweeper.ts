/**
 * Removes credentials that a mount created but no active lease owns: a database user left by a crash between
 * `CREATE USER` and the lease record, by an aborted resolve whose revocation was lost, or brought back by a
 * restore of the database. The resolve records its lease only after `issue` returns, so intent is recorded
 * at the backend itself, with the user (PostgreSQL: a role comment written in the creating transaction;
 * MySQL/MariaDB: a bookkeeping row written before CREATE USER), naming the job and its end. This sweep reads
 * that back (`listIssued`) and asks the gateway's state whether the job is open and a lease holds the user.
 *
 * Young credentials are left alone for a grace period: their resolve may still be between `issue` and the
 * lease record. Every removal is audited as a `revocation` with cause `orphan` and what the backend did.
 * The pass after a store loss (reconcile_after_loss.ts) is this same sweep with `lostAt` and cause `state_lost`.
 */
import type { IssuedCredential, JsonValue } from '../../adapters/contract.ts';
import type { GatewayServices } from '../services.ts';
import type { JobRecord, LeaseRecord } from '../state/contract.ts';

/** Longer than any resolve can take from `issue` to its lease record (mount timeouts are at most 120 s). */
export const ORPHAN_GRACE_MS = 5 * 60_000;
export const ORPHAN_SWEEP_INTERVAL_MS = 60_000;

/** Why a credential is an orphan, as written into the audit detail. */
export type OrphanReason = 'no_intent' | 'job_unknown' | 'job_completed' | 'job_ended' | 'no_lease';

/** The user name a lease handle names (database adapters store it as `username`). */
function handleUser(handle: JsonValue | undefined): string | undefined {
  const name = (handle as { username?: unknown } | null | undefined)?.username;
  return typeof name === 'string' ? name : undefined;
}

/** What the state store says about one job, looked up once per pass however many users name it. */
export type JobView = { job: JobRecord | undefined; leases: LeaseRecord[] };

/** How one pass treats a mount: the grace, the audited cause, and (after a store loss) when the loss was noticed. */
export interface SweepOptions {
  graceMs: number;
  cause: 'orphan' | 'state_lost';
  /**
   * After a loss: a credential created at or before this instant whose job is unknown is revoked without waiting
   * for the grace. Job ids are random and a lease commit refuses an unknown job (commit.ts), so no resolve still
   * in flight can come to own it; the grace exists only for that race. Every other verdict keeps the grace.
   */
  lostAt?: number | undefined;
}

/** What one pass did on one mount. */
export interface MountSweep {
  listed: number;
  revoked: number;
  /** Orphans whose revocation failed (audited; the next pass retries). */
  failed: number;
  /** Young credentials that would be orphans once their grace ends (counted only with `lostAt`). */
  deferred: number;
}

/** Why `credential` of `mount` is an orphan at `now`, or undefined when it is (or may still be) owned. */
export async function orphanReason(
  services: GatewayServices, mount: string, credential: IssuedCredential, now: number, graceMs: number, jobs = new Map<string, Promise<JobView>>(), lostAt?: number,
): Promise<OrphanReason | undefined> {
  return (await verdict(services, mount, credential, now, { graceMs, cause: 'orphan', lostAt }, jobs)).reason;
}

async function verdict(
  services: GatewayServices, mount: string, credential: IssuedCredential, now: number, options: SweepOptions, jobs: Map<string, Promise<JobView>>,
): Promise<{ reason?: OrphanReason | undefined; deferred: boolean }> {
  const young = credential.createdAt !== undefined && now - credential.createdAt < options.graceMs;
  // The periodic sweep asks the state nothing about young credentials; only the pass after a loss looks further.
  if (young && options.lostAt === undefined) return { deferred: false };
  const reason = await ownerlessReason(services, mount, credential, now, jobs);
  if (!young || reason === undefined) return { reason, deferred: false };
  const beforeLoss = credential.createdAt! <= options.lostAt!;
  return reason === 'job_unknown' && beforeLoss ? { reason, deferred: false } : { deferred: true };
}

/** The ownership rules themselves, grace aside. */
async function ownerlessReason(
  services: GatewayServices, mount: string, credential: IssuedCredential, now: number, jobs: Map<string, Promise<JobView>>,
): Promise<OrphanReason | undefined> {
  if (credential.jobId === undefined) return 'no_intent';
  if (credential.jobExpiresAt !== undefined && credential.jobExpiresAt <= now) return 'job_ended';
  const jobId = credential.jobId;
  let view = jobs.get(jobId);
  if (view === undefined) {
    view = (async () => {
      const job = await services.state.jobs.get(jobId);
      return { job, leases: job === undefined ? [] : await services.state.leases.listByJob(jobId) };
    })();
    jobs.set(jobId, view);
  }
  const { job, leases } = await view;
  if (job === undefined) return 'job_unknown';
  if (job.completedAt !== undefined) return 'job_completed';
  if (job.expiresAt <= now) return 'job_ended';
  const owned = leases.some((l) => l.mount === mount && l.state === 'active' && l.expiresAt > now && handleUser(l.handle) === credential.id);
  return owned ? undefined : 'no_lease';
}

/**
 * One pass over one mount whose adapter can list and revoke (undefined when it cannot); a listing failure throws.
 * Every removal is audited as a `revocation` with `options.cause`.
 */
export async function sweepMount(
  services: GatewayServices, mount: string, options: SweepOptions, jobs = new Map<string, Promise<JobView>>(), listTimeoutMs = 30_000,
): Promise<MountSweep | undefined> {
  const adapter = services.mounts.has(mount) ? services.mounts.get(mount) : undefined;
  if (adapter?.listIssued === undefined || adapter.revoke === undefined) return undefined;
  const issued = await adapter.listIssued(AbortSignal.timeout(listTimeoutMs));
  const result: MountSweep = { listed: issued.length, revoked: 0, failed: 0, deferred: 0 };
  for (const credential of issued) {
    const { reason, deferred } = await verdict(services, mount, credential, services.now(), options, jobs);
    if (deferred) result.deferred++;
    if (reason === undefined) continue;
    const base = {
      action: 'revocation' as const,
      actor: { type: 'system' as const, id: services.replica, auth: 'system' as const },
      job_id: credential.jobId,
      lease_ids: [],
      detail: { mount, cause: options.cause, orphan: reason, credential: credential.id },
    };
    try {
      const backend = await adapter.revoke({ handle: credential.handle, signal: AbortSignal.timeout(30_000) });
      await services.audit.record({ ...base, outcome: 'ok', detail: { ...base.detail, ...(backend ? { backend } : {}) } });
      result.revoked++;
    } catch (err) {
      // Left for the next pass; the failure is on the trail.
      const why = err instanceof Error && 'reason' in err ? String((err as { reason: unknown }).reason) : 'revoke failed';
      await services.audit.record({ ...base, outcome: 'error', step: 'backend', reason: why }).catch(() => undefined);
      result.failed++;
    }
  }
  return result;
}

/**
 * One pass over `mounts` (those whose adapter can list what it issued); returns how many orphans it removed.
 * A mount that cannot be listed does not stop the others; the first such failure is thrown at the end.
 */
export async function sweepOrphans(services: GatewayServices, mounts: string[], graceMs = ORPHAN_GRACE_MS): Promise<number> {
  let removed = 0;
  let failure: unknown;
  const jobs = new Map<string, Promise<JobView>>();
  for (const mount of mounts) {
    try {
      removed += (await sweepMount(services, mount, { graceMs, cause: 'orphan' }, jobs))?.revoked ?? 0;
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== undefined) throw failure;
  return removed;
}
