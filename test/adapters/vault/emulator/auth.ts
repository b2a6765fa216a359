/**
 * Token self-service (lookup-self, renew-self) and the login endpoints of the AppRole, JWT and Kubernetes
 * auth methods. A login mints a renewable service token bounded by the role's token_max_ttl.
 */
import { randomUUID } from 'node:crypto';
import { logical, permissionDenied, rfc3339, vaultError, type VaultReply, type VaultRequest } from './http.ts';
import { nsKey, type EmulatorToken, type VaultState } from './state.ts';

const seconds = (ms: number): number => Math.max(0, Math.floor(ms / 1000));

/** Vault's `auth` block for a token. */
function authBlock(state: VaultState, token: EmulatorToken, metadata: Record<string, string> | null = null): Record<string, unknown> {
  return {
    client_token: token.id,
    accessor: token.accessor,
    policies: token.policies,
    token_policies: token.policies,
    metadata,
    lease_duration: token.expiresAt === undefined ? 0 : seconds(token.expiresAt - state.now()),
    renewable: token.renewable,
    entity_id: '',
    token_type: 'service',
    orphan: true,
    mfa_requirement: null,
    num_uses: 0,
  };
}

function authReply(state: VaultState, token: EmulatorToken, metadata: Record<string, string> | null = null, warnings: string[] | null = null): VaultReply {
  return { status: 200, body: { request_id: randomUUID(), lease_id: '', renewable: false, lease_duration: 0, data: null, wrap_info: null, warnings, auth: authBlock(state, token, metadata) } };
}

/** GET auth/token/lookup-self. */
export function lookupSelf(state: VaultState, token: EmulatorToken): VaultReply {
  const now = state.now();
  return logical({
    accessor: token.accessor,
    creation_time: seconds(token.issuedAt),
    creation_ttl: token.creationTtl,
    display_name: 'token',
    entity_id: '',
    expire_time: token.expiresAt === undefined ? null : rfc3339(token.expiresAt),
    explicit_max_ttl: token.maxExpiresAt === undefined ? 0 : seconds(token.maxExpiresAt - token.issuedAt),
    id: token.id,
    issue_time: rfc3339(token.issuedAt),
    meta: null,
    num_uses: 0,
    orphan: true,
    path: token.path,
    policies: token.policies,
    renewable: token.renewable,
    ttl: token.expiresAt === undefined ? 0 : seconds(token.expiresAt - now),
    type: 'service',
  });
}

/** POST auth/token/renew-self: extends by `increment` (default: the creation TTL), capped at the max TTL. */
export function renewSelf(state: VaultState, token: EmulatorToken, body: Record<string, unknown>): VaultReply {
  if (!token.renewable || token.expiresAt === undefined) return vaultError(400, 'lease is not renewable');
  const increment = parseDuration(body.increment) ?? token.creationTtl;
  const now = state.now();
  let expiresAt = now + increment * 1000;
  let warnings: string[] | null = null;
  if (token.maxExpiresAt !== undefined && expiresAt > token.maxExpiresAt) {
    expiresAt = token.maxExpiresAt;
    warnings = ['TTL of requested increment exceeded the effective max_ttl; TTL value is capped accordingly'];
  }
  token.expiresAt = expiresAt;
  return authReply(state, token, null, warnings);
}

/** Vault accepts durations as integer seconds or strings like "90s", "15m", "1h". */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.floor(value);
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+)([smh]?)$/.exec(value);
  if (match === null) return undefined;
  const unit = match[2] === 'h' ? 3600 : match[2] === 'm' ? 60 : 1;
  return Number(match[1]) * unit || undefined;
}

/** POST auth/<mount>/login for AppRole ({role_id, secret_id}) or JWT/Kubernetes ({role, jwt}). */
export function login(state: VaultState, req: VaultRequest, mount: string): VaultReply {
  const body = req.body;
  const isAppRole = typeof body.role_id === 'string';
  const roleName = isAppRole ? body.role_id : body.role;
  const credential = isAppRole ? body.secret_id : body.jwt;
  if (typeof roleName !== 'string' || typeof credential !== 'string') return vaultError(400, 'missing role or credential');
  const role = state.authRoles.get(nsKey(req.namespace, mount, roleName));
  const kindMatches = role !== undefined && (role.kind === 'approle') === isAppRole;
  if (role === undefined || !kindMatches || !role.credentials.has(credential)) {
    if (isAppRole) return vaultError(400, 'invalid role or secret ID');
    return role?.kind === 'kubernetes' ? permissionDenied() : vaultError(400, 'error validating token: invalid credential');
  }
  const token = state.issueToken({
    policies: role.policies,
    ttl: role.tokenTtl,
    maxTtl: role.tokenMaxTtl,
    namespace: req.namespace,
    path: `auth/${mount}/login`,
  });
  return authReply(state, token, { role_name: roleName });
}
