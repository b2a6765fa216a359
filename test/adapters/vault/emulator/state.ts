/**
 * The Vault emulator's in-memory state: a clock that tests can move, tokens, KV mounts, auth roles, dynamic
 * roles and leases. Handlers read and change it; tests seed and inspect it through the hooks in server.ts.
 */
import { randomBytes } from 'node:crypto';

export interface EmulatorToken {
  id: string;
  accessor: string;
  policies: string[];
  namespace: string;
  path: string;
  /** Seconds granted at creation (and the default renew increment); 0 = never expires (root). */
  creationTtl: number;
  issuedAt: number;
  expiresAt: number | undefined;
  /** Hard ceiling no renewal passes, like a role's token_max_ttl. */
  maxExpiresAt: number | undefined;
  renewable: boolean;
}

export interface KvVersion {
  data: Record<string, unknown>;
  createdAt: number;
  deletedAt: number | undefined;
  destroyed: boolean;
}

export interface KvV2Secret {
  versions: Map<number, KvVersion>;
  currentVersion: number;
  createdAt: number;
  updatedAt: number;
}

export interface KvMount {
  version: 1 | 2;
  v1: Map<string, Record<string, unknown>>;
  v2: Map<string, KvV2Secret>;
}

export interface AuthRole {
  kind: 'approle' | 'jwt' | 'kubernetes';
  /** AppRole: accepted secret IDs; JWT/Kubernetes: accepted JWTs (the emulator does not verify signatures). */
  credentials: Set<string>;
  policies: string[];
  tokenTtl: number;
  tokenMaxTtl: number;
}

export interface DynamicRole {
  defaultTtl: number;
  maxTtl: number;
}

export interface EmulatorLease {
  id: string;
  namespace: string;
  issuedAt: number;
  expiresAt: number;
  maxExpiresAt: number;
  defaultTtl: number;
  revokedAt: number | undefined;
  username: string;
}

export type LeaseState = 'active' | 'expired' | 'revoked';

/** Keys are namespaced the way Vault isolates namespaces: the same path in two namespaces is two secrets. */
export const nsKey = (namespace: string, ...parts: string[]): string => [namespace, ...parts].join('|');

export const randomId = (bytes = 12): string => randomBytes(bytes).toString('base64url');

export class VaultState {
  #offsetMs = 0;
  readonly tokens = new Map<string, EmulatorToken>();
  readonly kvMounts = new Map<string, KvMount>();
  readonly authRoles = new Map<string, AuthRole>();
  readonly dynamicRoles = new Map<string, DynamicRole>();
  readonly leases = new Map<string, EmulatorLease>();
  /** Path prefixes (with mount, namespace-independent) that answer 403 whatever the token. */
  readonly deniedPrefixes = new Set<string>();
  sealed = false;

  /** Emulator time, epoch ms: wall clock plus whatever tests advanced. */
  now(): number {
    return Date.now() + this.#offsetMs;
  }

  advance(seconds: number): void {
    this.#offsetMs += seconds * 1000;
  }

  /** Mints a service token. `ttl` 0 makes a non-expiring root-like token. */
  issueToken(options: { policies: string[]; ttl: number; maxTtl?: number; namespace?: string; path?: string; renewable?: boolean }): EmulatorToken {
    const now = this.now();
    const token: EmulatorToken = {
      id: `hvs.${randomId(18)}`,
      accessor: randomId(16),
      policies: options.policies,
      namespace: options.namespace ?? '',
      path: options.path ?? 'auth/token/create',
      creationTtl: options.ttl,
      issuedAt: now,
      expiresAt: options.ttl === 0 ? undefined : now + options.ttl * 1000,
      maxExpiresAt: options.maxTtl === undefined || options.maxTtl === 0 ? undefined : now + options.maxTtl * 1000,
      renewable: options.renewable ?? options.ttl !== 0,
    };
    this.tokens.set(token.id, token);
    return token;
  }

  /** The token if it exists, has not expired, and may act in `namespace` (root-namespace tokens reach all). */
  liveToken(id: string | undefined, namespace: string): EmulatorToken | undefined {
    if (id === undefined) return undefined;
    const token = this.tokens.get(id);
    if (token === undefined) return undefined;
    if (token.expiresAt !== undefined && this.now() >= token.expiresAt) return undefined;
    if (token.namespace !== '' && token.namespace !== namespace) return undefined;
    return token;
  }

  kvMount(namespace: string, mount: string): KvMount | undefined {
    return this.kvMounts.get(nsKey(namespace, mount));
  }

  /** True when some dynamic role is registered under `mount` in `namespace`. */
  hasDynamicMount(namespace: string, mount: string): boolean {
    const prefix = `${nsKey(namespace, mount)}|`;
    for (const key of this.dynamicRoles.keys()) if (key.startsWith(prefix)) return true;
    return false;
  }

  /** The KV mount a path falls under (longest mount name wins, as in Vault's router). */
  findKvMount(namespace: string, path: string): { name: string; mount: KvMount } | undefined {
    let best: { name: string; mount: KvMount } | undefined;
    const prefix = nsKey(namespace, '');
    for (const [key, mount] of this.kvMounts) {
      if (!key.startsWith(prefix)) continue;
      const name = key.slice(prefix.length);
      if (path.startsWith(`${name}/`) && (best === undefined || name.length > best.name.length)) best = { name, mount };
    }
    return best;
  }

  leaseState(id: string): LeaseState | undefined {
    const lease = this.leases.get(id);
    if (lease === undefined) return undefined;
    if (lease.revokedAt !== undefined) return 'revoked';
    return this.now() >= lease.expiresAt ? 'expired' : 'active';
  }
}
