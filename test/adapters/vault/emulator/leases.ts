/**
 * Dynamic credentials (`<mount>/creds/<role>`, as the database and AWS engines serve them) and the lease API.
 * Leases really expire on the emulator clock: an expired lease can no longer be renewed, like Vault's
 * expiration manager revoking it at its TTL.
 */
import { randomUUID } from 'node:crypto';
import { logical, noContent, vaultError, type VaultReply, type VaultRequest } from './http.ts';
import { parseDuration } from './auth.ts';
import { nsKey, randomId, type VaultState } from './state.ts';

/** GET <mount>/creds/<role>: mints a username/password under a new lease. */
export function issueCreds(state: VaultState, req: VaultRequest, mount: string, roleName: string): VaultReply {
  if (req.method !== 'GET') return vaultError(405, 'unsupported operation');
  const role = state.dynamicRoles.get(nsKey(req.namespace, mount, roleName));
  if (role === undefined) return vaultError(400, `unknown role: ${roleName}`);
  const now = state.now();
  const id = `${mount}/creds/${roleName}/${randomId(18)}`;
  const username = `v-token-${roleName}-${randomId(9)}`;
  state.leases.set(id, {
    id,
    namespace: req.namespace,
    issuedAt: now,
    expiresAt: now + role.defaultTtl * 1000,
    maxExpiresAt: now + role.maxTtl * 1000,
    defaultTtl: role.defaultTtl,
    revokedAt: undefined,
    username,
  });
  return logical({ username, password: `A1a-${randomId(15)}` }, { lease_id: id, renewable: true, lease_duration: role.defaultTtl });
}

/** PUT sys/leases/renew {lease_id, increment}: extends from now, never past the role's max TTL. */
export function renewLease(state: VaultState, req: VaultRequest): VaultReply {
  const id = req.body.lease_id;
  if (typeof id !== 'string' || id === '') return vaultError(400, 'missing lease_id');
  const lease = state.leases.get(id);
  if (lease === undefined || state.leaseState(id) !== 'active' || lease.namespace !== req.namespace) {
    return vaultError(400, 'lease not found');
  }
  const now = state.now();
  const increment = parseDuration(req.body.increment) ?? lease.defaultTtl;
  lease.expiresAt = Math.min(now + increment * 1000, lease.maxExpiresAt);
  const capped = lease.expiresAt === lease.maxExpiresAt;
  return {
    status: 200,
    body: {
      request_id: randomUUID(),
      lease_id: id,
      renewable: true,
      lease_duration: Math.floor((lease.expiresAt - now) / 1000),
      data: null,
      wrap_info: null,
      warnings: capped ? ['TTL of requested increment exceeded the effective max_ttl; TTL value is capped accordingly'] : null,
      auth: null,
    },
  };
}

/** PUT sys/leases/revoke {lease_id}: 204, also for a lease that is unknown or already gone (idempotent). */
export function revokeLease(state: VaultState, req: VaultRequest): VaultReply {
  const id = req.body.lease_id;
  if (typeof id !== 'string' || id === '') return vaultError(400, 'missing lease_id');
  const lease = state.leases.get(id);
  if (lease !== undefined && lease.namespace === req.namespace) lease.revokedAt ??= state.now();
  return noContent;
}
