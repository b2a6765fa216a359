/**
 * In-memory lease store: records indexed by job; the expiry "index" is a scan, fine for one process. Every state
 * change that ends a lease enqueues its backend revocation in the same synchronous step (no await between), so a
 * lease never leaves `active` without its revocation recorded.
 */
import { GatewayError, deny } from '../../errors.ts';
import type { LeaseRecord, LeaseStore, RevocationTask } from '../contract.ts';
import { copyLease, revocationTaskOf } from '../records.ts';
import { JOB_RETENTION_SLACK_MS } from '../retention.ts';

const SWEEP_EVERY_MS = 60_000;

/** What the memory lease store needs from its siblings, all synchronous. */
export interface MemoryLeaseDeps {
  now: () => number;
  /** True when the job is known and completed (puts are refused then). */
  jobCompleted: (jobId: string) => boolean;
  /** Records a revocation task on the memory queue, synchronously. */
  enqueueNow: (task: RevocationTask) => void;
}

/** The lease store plus the synchronous writer the memory commit uses. */
export interface MemoryLeases {
  store: LeaseStore;
  /** Throws `conflict` (changing nothing) if any id exists; otherwise records the batch. Synchronous. */
  insert(batch: LeaseRecord[]): void;
}

/** Creates the memory lease store. */
export function createMemoryLeases(deps: MemoryLeaseDeps): MemoryLeases {
  const { now } = deps;
  const leases = new Map<string, LeaseRecord>();
  const byJob = new Map<string, Set<string>>();
  let nextSweepAt = 0;

  const forget = (lease: LeaseRecord): void => {
    leases.delete(lease.leaseId);
    const ids = byJob.get(lease.jobId);
    ids?.delete(lease.leaseId);
    if (ids?.size === 0) byJob.delete(lease.jobId);
  };

  // Revoked and expired records stay readable until their job's retention ends, as in Redis.
  const sweepIfDue = (): void => {
    const t = now();
    if (t < nextSweepAt) return;
    nextSweepAt = t + SWEEP_EVERY_MS;
    for (const lease of leases.values()) {
      if (lease.jobExpiresAt + JOB_RETENTION_SLACK_MS <= t) forget(lease);
    }
  };

  const insert = (batch: LeaseRecord[]): void => {
    sweepIfDue();
    const ids = new Set<string>();
    for (const lease of batch) {
      if (leases.has(lease.leaseId) || ids.has(lease.leaseId)) {
        throw new GatewayError('conflict', { step: 'lease', reason: `lease ${lease.leaseId} already exists` });
      }
      ids.add(lease.leaseId);
    }
    for (const lease of batch) {
      leases.set(lease.leaseId, copyLease(lease));
      const jobIds = byJob.get(lease.jobId) ?? new Set<string>();
      byJob.set(lease.jobId, jobIds);
      jobIds.add(lease.leaseId);
    }
  };

  // The state flip and the enqueue in one synchronous step: nothing can run in between.
  const end = (lease: LeaseRecord, state: 'revoked' | 'expired', cause: string): LeaseRecord => {
    const before = copyLease(lease);
    lease.state = state;
    const task = revocationTaskOf(before, cause, now());
    if (task !== undefined) deps.enqueueNow(task);
    return before;
  };

  const active = (leaseId: string): LeaseRecord | undefined => {
    const lease = leases.get(leaseId);
    return lease?.state === 'active' ? lease : undefined;
  };

  const store: LeaseStore = {
    async prepare() {
      // One map is every index here: nothing to register ahead.
    },
    async put(batch) {
      if (new Set(batch.map((l) => l.jobId)).size > 1) throw new GatewayError('internal', { step: 'lease', reason: 'one put records leases of one job' });
      if (batch.length > 0 && deps.jobCompleted(batch[0]!.jobId)) throw deny('expired', 'commit', 'the job was completed before its leases were recorded');
      insert(batch);
    },
    async get(leaseId) {
      const lease = leases.get(leaseId);
      return lease === undefined ? undefined : copyLease(lease);
    },
    async listByJob(jobId) {
      const ids = [...(byJob.get(jobId) ?? [])];
      return ids.flatMap((id) => {
        const lease = leases.get(id);
        return lease === undefined ? [] : [copyLease(lease)];
      });
    },
    async renew(leaseId, newExpiresAt) {
      const lease = active(leaseId);
      // A lease past its end is expired even if the sweep has not reached it yet: never resurrect it.
      if (lease === undefined || lease.expiresAt <= now()) return undefined;
      lease.expiresAt = newExpiresAt;
      lease.renewals += 1;
      return copyLease(lease);
    },
    async revoke(leaseId, cause) {
      const lease = active(leaseId);
      return lease === undefined ? undefined : end(lease, 'revoked', cause);
    },
    async claimExpired(at, limit) {
      sweepIfDue();
      const due = [...leases.values()]
        .filter((lease) => lease.state === 'active' && lease.expiresAt <= at)
        .sort((a, b) => a.expiresAt - b.expiresAt)
        .slice(0, Math.max(0, limit));
      return due.map((lease) => {
        end(lease, 'expired', 'lease_expired');
        return copyLease(lease);
      });
    },
    async recoverRevocations() {
      // Flip and enqueue are one synchronous step here: nothing is ever left pending.
      return 0;
    },
    async countActive() {
      let count = 0;
      for (const lease of leases.values()) if (lease.state === 'active') count += 1;
      return count;
    },
  };
  return { store, insert };
}
