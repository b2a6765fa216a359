/** Sample records for the state-store tests. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ExecutorRecord, JobRecord, LeaseRecord } from '../../src/state/contract.ts';

/** A job issued at `now`, ending in `ttlMs`. */
export function sampleJob(now: number, ttlMs = 15 * 60_000, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId: `job-${randomUUID()}`,
    tenant: 'tenant_abc',
    executor: 'exec-01',
    coordinator: 'spiffe://example.org/coordinator/ci',
    crefs: { github_token: 'cref://tenant_abc/github_token' },
    issuedAt: now,
    expiresAt: now + ttlMs,
    ...overrides,
  };
}

/** An active lease of `job`, ending in `ttlMs` from `now`. */
export function sampleLease(job: JobRecord, now: number, ttlMs = 60_000, overrides: Partial<LeaseRecord> = {}): LeaseRecord {
  return {
    leaseId: `lease-${randomUUID()}`,
    jobId: job.jobId,
    tenant: job.tenant,
    executor: job.executor,
    alias: 'db',
    cref: 'cref://tenant_abc/db',
    mount: 'vault-db',
    issuedAt: now,
    expiresAt: now + ttlMs,
    jobExpiresAt: job.expiresAt,
    renewable: true,
    revocable: true,
    handle: { lease_id: 'database/creds/ro/abc', nested: { list: [1, 'two', null] } },
    state: 'active',
    renewals: 0,
    ...overrides,
  };
}

/** An enabled executor with one secret version. */
export function sampleExecutor(now: number, overrides: Partial<ExecutorRecord> = {}): ExecutorRecord {
  const id = `exec-${randomUUID()}`;
  return {
    id,
    tenant: 'tenant_abc',
    identities: [`spiffe://example.org/tenant/tenant_abc/executor/${id}`],
    allowedCrefs: ['cref://tenant_abc/*'],
    enabled: true,
    createdAt: now,
    secrets: [{ kid: 'k1', secret: randomBytes(32), createdAt: now }],
    graceMs: 5 * 60_000,
    ...overrides,
  };
}
