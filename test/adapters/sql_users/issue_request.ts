/** The issue request both database adapters' tests send. */
import type { IssueRequest } from '../../../adapters/contract.ts';

/** An issue request for `path` on behalf of a job ending `jobSeconds` from now. */
export function issueRequest(path: string, options: { jobId?: string; tenant?: string; jobSeconds?: number; routeOptions?: IssueRequest['routeOptions'] } = {}): IssueRequest {
  const jobSeconds = options.jobSeconds ?? 600;
  return {
    path,
    maxTtlSeconds: jobSeconds,
    job: { jobId: options.jobId ?? 'job_testjob0001', tenant: options.tenant ?? 'tenant_abc', executor: 'exec-01', expiresAt: Date.now() + jobSeconds * 1000 },
    routeOptions: options.routeOptions,
    signal: AbortSignal.timeout(10_000),
  };
}
