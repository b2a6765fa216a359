/** In-memory lease store: records indexed by job; the expiry "index" is a scan, fine for one process. */
import { GatewayError } from '../../errors.ts';
import type { LeaseRecord, LeaseStore } from '../contract.ts';
import { copyLease } from '../records.ts';
import { JOB_RETENTION_SLACK_MS } from '../retention.ts';

const SWEEP_EVERY_MS = 60_000;

/** Creates the memory lease store; `now` is only used to forget records after their job's retention. */
export function createMemoryLeases(now: () => number): LeaseStore {
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

  const active = (leaseId: string): LeaseRecord | undefined => {
    const lease = leases.get(leaseId);
    return lease?.state === 'active' ? lease : undefined;
  };

  return {
    async put(batch) {
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
    async revoke(leaseId) {
      const lease = active(leaseId);
      if (lease === undefined) return undefined;
      const before = copyLease(lease);
      lease.state = 'revoked';
      return before;
    },
    async claimExpired(at, limit) {
      sweepIfDue();
      const due = [...leases.values()]
        .filter((lease) => lease.state === 'active' && lease.expiresAt <= at)
        .sort((a, b) => a.expiresAt - b.expiresAt)
        .slice(0, Math.max(0, limit));
      return due.map((lease) => {
        lease.state = 'expired';
        return copyLease(lease);
      });
    },
    async countActive() {
      let count = 0;
      for (const lease of leases.values()) if (lease.state === 'active') count += 1;
      return count;
    },
  };
}
