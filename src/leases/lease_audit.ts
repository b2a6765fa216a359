/** The audit fields that name one lease: the same on every lease event (renew, revoke, expire, proxy request). */
import type { LeaseRecord } from '../state/contract.ts';

/** What an audit event about `lease` says it is about: its tenant, job, executor, cref and lease id. */
export function leaseSubject(lease: LeaseRecord): { tenant: string; job_id: string; executor: string; crefs: string[]; lease_ids: string[] } {
  return { tenant: lease.tenant, job_id: lease.jobId, executor: lease.executor, crefs: [lease.cref], lease_ids: [lease.leaseId] };
}
