/** Record helpers shared by both state stores: defensive copies and the secret-version rotation rule. */
import { GatewayError } from '../errors.ts';
import { isAccepted, isCurrent } from './secret_grace.ts';
import type { ExecutorRecord, HmacSecretVersion, LeaseRecord, RevocationTask } from './contract.ts';

/** Copies a secret version so that neither the caller nor the store can mutate the other's buffer. */
export function copyVersion(version: HmacSecretVersion): HmacSecretVersion {
  return { ...version, secret: Buffer.from(version.secret) };
}

/** Deep copy of an executor record (buffers included). */
export function copyExecutor(record: ExecutorRecord): ExecutorRecord {
  return {
    ...record,
    identities: [...record.identities],
    allowedCrefs: [...record.allowedCrefs],
    secrets: record.secrets.map(copyVersion),
  };
}

/** Deep copy of a lease record (its handle is plain JSON). */
export function copyLease(lease: LeaseRecord): LeaseRecord {
  return structuredClone(lease);
}

/**
 * The secret list after a rotation at `at`: the new version first, the old current one marked superseded.
 * Versions whose grace window has ended are dropped, except that the newest two are always kept (the contract
 * only needs current + previous; keeping one spent version does no harm and keeps kids recognisable).
 */
export function rotateVersions<V extends { kid: string; supersededAt?: number | undefined }>(
  secrets: V[],
  version: V,
  at: number,
  graceMs: number,
): V[] {
  // A reused kid would make an envelope's `kid` ambiguous between two secrets.
  if (secrets.some((v) => v.kid === version.kid)) {
    throw new GatewayError('conflict', { reason: `executor secret kid ${version.kid} already used` });
  }
  const marked = secrets.map((v, i) => (i === 0 && isCurrent(v) ? { ...v, supersededAt: at } : v));
  const next = [version, ...marked];
  return next.filter((v, i) => i < 2 || isAccepted(v, graceMs, at));
}

/** The revocation task a lease's state change records; undefined when the backend cannot revoke the credential. */
export function revocationTaskOf(lease: LeaseRecord, cause: string, at: number): RevocationTask | undefined {
  if (lease.handle === undefined || !lease.revocable) return undefined;
  return { ...revocationBaseOf(lease), cause, enqueuedAt: at };
}

/** What a lease's revocation needs and names, fixed when the lease is recorded (the Redis record keeps it). */
export function revocationBaseOf(lease: LeaseRecord): Omit<RevocationTask, 'cause' | 'enqueuedAt'> {
  return { leaseId: lease.leaseId, mount: lease.mount, handle: lease.handle!, tenant: lease.tenant, jobId: lease.jobId, executor: lease.executor };
}
