/** Who may touch a job and its leases: the job's own executor, or the coordinator that issued it. */
import { deny } from '../errors.ts';
import type { Identity } from '../identity/identity.ts';
import type { JobRecord } from '../state/contract.ts';

/** What the caller's audit line may name once the job is known (filled in even when access is then refused). */
export interface JobFacts {
  tenant?: string | undefined;
  job_id?: string | undefined;
  executor?: string | undefined;
}

export function assertJobAccess(identity: Identity, job: JobRecord): void {
  const ownExecutor = identity.role === 'executor' && identity.id === job.executor;
  const ownCoordinator = identity.role === 'coordinator' && identity.id === job.coordinator;
  if (!ownExecutor && !ownCoordinator) throw deny('forbidden', 'lease', `${identity.role} ${identity.id} does not own job ${job.jobId}`);
}
