/**
 * Builds the AssumeRole parameters for one job: which role, for how long, under which session name, with
 * which session tags, source identity and inline session policy. Pure, so the rules are testable alone.
 */
import { createHash } from 'node:crypto';
import { AdapterError, type IssueRequest } from '../contract.ts';
import { manifest } from './index.ts';
import { stsRouteOptionsSchema, type StsOptions } from './options.ts';

/** STS refuses DurationSeconds below 15 minutes. */
export const STS_MIN_SESSION_SECONDS = 900;
/** STS limit on the plaintext of inline session policies. */
const MAX_POLICY_CHARS = 2048;

const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const ROLE_NAME = /^([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
// RoleSessionName and SourceIdentity share this alphabet, 2 to 64 characters.
const SESSION_LABEL = /^[\w+=,.@-]{2,64}$/;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+@-]{0,256}$/u;

/** Session tag keys; role trust and permission policies match them as `aws:PrincipalTag/crefgate-tenant` etc. */
export const TAG_KEYS = { tenant: 'crefgate-tenant', executor: 'crefgate-executor', job: 'crefgate-job' } as const;

export interface AssumeRoleParams {
  RoleArn: string;
  RoleSessionName: string;
  DurationSeconds: number;
  SourceIdentity: string;
  Tags: { Key: string; Value: string }[];
  Policy?: string;
  ExternalId?: string;
}

/** Role ARN of a route path: a full role ARN, or a role name (optionally with an IAM path) in `account_id`. */
export function roleArnOf(path: string, options: Pick<StsOptions, 'account_id' | 'partition'>): string {
  if (path.startsWith('arn:')) {
    if (!ROLE_ARN.test(path)) throw new AdapterError('invalid_reference', 'path is not an IAM role ARN');
    return path;
  }
  if (!ROLE_NAME.test(path)) throw new AdapterError('invalid_reference', 'path is not an IAM role name');
  if (options.account_id === undefined) {
    throw new AdapterError('invalid_reference', 'path is a bare role name but the mount has no account_id');
  }
  return `arn:${options.partition}:iam::${options.account_id}:role/${path}`;
}

/**
 * DurationSeconds for a job: its remaining time, clamped to [900, max_session_seconds]. A job with less than
 * 900 s left still gets a 900 s STS session, because STS issues nothing shorter; the gateway's lease still ends
 * with the job, and the deny-by-aws:TokenIssueTime policy (docs/adapters/aws.md) is the emergency stop.
 */
export function sessionDuration(maxTtlSeconds: number, maxSessionSeconds: number): number {
  return Math.min(Math.max(Math.ceil(maxTtlSeconds), STS_MIN_SESSION_SECONDS), maxSessionSeconds);
}

/** A label from free text: verbatim when STS accepts it, otherwise a stable digest so it stays traceable. */
function label(text: string, prefix: string): string {
  if (SESSION_LABEL.test(text) && !text.toLowerCase().startsWith('aws:')) return text;
  return `${prefix}${createHash('sha256').update(text).digest('hex').slice(0, 40)}`;
}

/** The inline session policy: the route's replaces the mount default (STS takes exactly one inline policy). */
function sessionPolicyText(request: IssueRequest, options: StsOptions): string | undefined {
  const parsed = stsRouteOptionsSchema.safeParse(request.routeOptions ?? {});
  if (!parsed.success) throw new AdapterError('invalid_reference', `route options are not valid for an ${manifest.kind} mount`);
  const policy = parsed.data.session_policy ?? options.session_policy;
  if (policy === undefined) return undefined;
  const text = JSON.stringify(policy);
  if (text.length > MAX_POLICY_CHARS) throw new AdapterError('invalid_reference', `session policy exceeds ${MAX_POLICY_CHARS} characters`);
  return text;
}

/** AssumeRole parameters for an issue request. */
export function assumeRoleParams(request: IssueRequest, options: StsOptions): AssumeRoleParams {
  const { job } = request;
  const jobValue = TAG_VALUE.test(job.jobId) ? job.jobId : label(job.jobId, 'h-');
  const params: AssumeRoleParams = {
    RoleArn: roleArnOf(request.path, options),
    // CloudTrail shows the session name on every call made with these credentials: the job id ties them back.
    RoleSessionName: label(job.jobId, 'job-'),
    DurationSeconds: sessionDuration(request.maxTtlSeconds, options.max_session_seconds),
    // Tenant and executor ids cannot contain '.', so the dotted form stays unambiguous; it persists across
    // role chaining, unlike the session name.
    SourceIdentity: label(`${job.tenant}.${job.executor}.${job.jobId}`, 'cg-'),
    Tags: [
      { Key: TAG_KEYS.tenant, Value: job.tenant },
      { Key: TAG_KEYS.executor, Value: job.executor },
      { Key: TAG_KEYS.job, Value: jobValue },
    ],
  };
  const policy = sessionPolicyText(request, options);
  if (policy !== undefined) params.Policy = policy;
  if (options.external_id !== undefined) params.ExternalId = options.external_id;
  return params;
}
