/**
 * Dynamic credentials and their leases. `issue` reads a `…/creds/<role>` path (database, AWS, RabbitMQ…
 * engines all serve one); the handle keeps only the lease id, never the secret. Vault decides the TTL and
 * the adapter reports what it granted: the gateway caps its own lease at the job end and its expiry sweep
 * revokes anything that outlives the job.
 */
import { AdapterError, type DynamicSecret, type IssueRequest, type JsonValue, type RenewResult } from '../contract.ts';
import { toSeconds } from './auth.ts';
import { vaultErrorTexts, vaultStatus } from './map_error.ts';
import { encodePath, isCredsPath } from './paths.ts';
import { selectValue } from './kv_read.ts';

/** The lease handle stored by the gateway. */
export interface VaultLeaseHandle {
  lease_id: string;
}

/** Checks the route's path and returns the encoded path to GET. */
export function credsPath(request: IssueRequest): string {
  if (!isCredsPath(request.path)) throw new AdapterError('invalid_reference', 'vault issue: path must end in /creds/<role>');
  return encodePath(request.path, 'issue');
}

/** Turns Vault's answer to a creds read into a DynamicSecret. */
export function dynamicSecret(answer: unknown, field: string | undefined): DynamicSecret {
  const body = answer as { lease_id?: unknown; lease_duration?: unknown; renewable?: unknown; data?: unknown } | null;
  const data = body?.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new AdapterError('unavailable', 'vault issue: answer carried no data');
  const leaseId = typeof body?.lease_id === 'string' ? body.lease_id : '';
  const handle: VaultLeaseHandle = { lease_id: leaseId };
  return {
    value: selectValue(data as Record<string, unknown>, field),
    leaseDuration: toSeconds(body?.lease_duration),
    renewable: leaseId !== '' && body?.renewable === true,
    // Without a lease id Vault gave nothing to revoke; the lease record must say so.
    revocable: leaseId !== '',
    handle: handle as unknown as JsonValue,
  };
}

/** Reads the lease id out of a stored handle. */
export function leaseIdOf(handle: JsonValue): string {
  const leaseId = (handle as { lease_id?: unknown } | null)?.lease_id;
  if (typeof leaseId !== 'string' || leaseId === '') throw new AdapterError('invalid_reference', 'vault lease: handle has no lease_id');
  return leaseId;
}

/** Vault's answer to sys/leases/renew as a RenewResult. */
export function renewResult(answer: unknown): RenewResult {
  return { leaseDuration: toSeconds((answer as { lease_duration?: unknown } | null)?.lease_duration) };
}

/** True when Vault says the lease no longer exists (expired, revoked or never known). */
export function isLeaseGone(err: unknown): boolean {
  const status = vaultStatus(err);
  if (status === 404) return true;
  return status === 400 && vaultErrorTexts(err).some((text) => /lease not found|invalid lease|lease is expired|lease expired/i.test(text));
}
