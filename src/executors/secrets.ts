/** Executor HMAC secret versions: 256 random bits each, named by a short `kid`. */
import { createHash, randomBytes } from 'node:crypto';
import type { ExecutorRecord, HmacSecretVersion } from '../state/contract.ts';
import { acceptedUntil, secretStatus } from '../state/secret_grace.ts';

/** A version for a known secret (seeded from a file): its kid derives from the secret so replicas agree. */
export function versionFor(secret: Buffer, createdAt: number): HmacSecretVersion {
  const kid = `k-${createHash('sha256').update('crefgate-hmac-kid').update(secret).digest('base64url').slice(0, 12)}`;
  return { kid, secret: Buffer.from(secret), createdAt };
}

/** A fresh random version. */
export function newVersion(createdAt: number): HmacSecretVersion {
  return versionFor(randomBytes(32), createdAt);
}

/** Public view of an executor: never any secret bytes. */
export function describeExecutor(record: ExecutorRecord, now: number) {
  return {
    id: record.id,
    tenant: record.tenant,
    identities: record.identities,
    allowed_crefs: record.allowedCrefs,
    enabled: record.enabled,
    created_at: Math.floor(record.createdAt / 1000),
    grace_seconds: Math.floor(record.graceMs / 1000),
    secret_versions: record.secrets.map((s) => {
      const until = acceptedUntil(s, record.graceMs);
      return {
        kid: s.kid,
        created_at: Math.floor(s.createdAt / 1000),
        status: secretStatus(s, record.graceMs, now),
        ...(until === undefined ? {} : { accepted_until: Math.floor(until / 1000) }),
      };
    }),
  };
}
