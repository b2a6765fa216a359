/**
 * Test hooks of the Vault emulator: set up mounts, secrets, auth roles and dynamic roles, and inspect leases.
 * They act on the state in-process (what an operator would do with the Vault CLI before the test).
 */
import { nsKey, type LeaseState, type VaultState } from './state.ts';

export interface TokenTtl {
  ttl: number;
  maxTtl: number;
}

export class VaultHooks {
  readonly #state: VaultState;
  /** A non-expiring token with every policy, like the dev server's root token. */
  readonly rootToken: string;

  constructor(state: VaultState) {
    this.#state = state;
    this.rootToken = state.issueToken({ policies: ['root'], ttl: 0 }).id;
  }

  /** Enables a KV engine at `mount`. */
  mountKv(mount: string, version: 1 | 2, namespace = ''): void {
    this.#state.kvMounts.set(nsKey(namespace, mount), { version, v1: new Map(), v2: new Map() });
  }

  /** Writes a secret; for KV v2 a new version, whose number is returned (KV v1 returns 0). */
  seedKv(mount: string, path: string, data: Record<string, unknown>, namespace = ''): number {
    const kv = this.#state.kvMount(namespace, mount);
    if (kv === undefined) throw new Error(`no KV mount ${mount} in namespace "${namespace}"`);
    if (kv.version === 1) {
      kv.v1.set(path, { ...data });
      return 0;
    }
    const now = this.#state.now();
    let secret = kv.v2.get(path);
    if (secret === undefined) {
      secret = { versions: new Map(), currentVersion: 0, createdAt: now, updatedAt: now };
      kv.v2.set(path, secret);
    }
    secret.currentVersion += 1;
    secret.updatedAt = now;
    secret.versions.set(secret.currentVersion, { data: { ...data }, createdAt: now, deletedAt: undefined, destroyed: false });
    return secret.currentVersion;
  }

  /** Soft-deletes (`destroy` false) or destroys KV v2 versions. */
  deleteKvVersions(mount: string, path: string, versions: number[], destroy = false, namespace = ''): void {
    const secret = this.#state.kvMount(namespace, mount)?.v2.get(path);
    for (const n of versions) {
      const version = secret?.versions.get(n);
      if (version === undefined) throw new Error(`no version ${n} of ${mount}/${path}`);
      if (destroy) {
        version.destroyed = true;
        version.data = {};
      } else {
        version.deletedAt = this.#state.now();
      }
    }
  }

  /** Mints a service token with a TTL (seconds) and max TTL; returns its id. */
  issueToken(ttl: TokenTtl, namespace = ''): string {
    return this.#state.issueToken({ policies: ['default'], ttl: ttl.ttl, maxTtl: ttl.maxTtl, namespace }).id;
  }

  /** Registers an AppRole role (by role_id) that accepts `secretId`. */
  addAppRole(roleId: string, secretId: string, ttl: TokenTtl, options: { mount?: string; namespace?: string } = {}): void {
    this.#state.authRoles.set(nsKey(options.namespace ?? '', options.mount ?? 'approle', roleId), {
      kind: 'approle',
      credentials: new Set([secretId]),
      policies: ['default', 'crefgate'],
      tokenTtl: ttl.ttl,
      tokenMaxTtl: ttl.maxTtl,
    });
  }

  /** Registers a JWT or Kubernetes role that accepts exactly `jwt`. */
  addJwtRole(kind: 'jwt' | 'kubernetes', role: string, jwt: string, ttl: TokenTtl, options: { mount?: string; namespace?: string } = {}): void {
    this.#state.authRoles.set(nsKey(options.namespace ?? '', options.mount ?? kind, role), {
      kind,
      credentials: new Set([jwt]),
      policies: ['default', 'crefgate'],
      tokenTtl: ttl.ttl,
      tokenMaxTtl: ttl.maxTtl,
    });
  }

  /** Registers a dynamic role served at `<mount>/creds/<role>`. */
  addDynamicRole(mount: string, role: string, ttl: { defaultTtl: number; maxTtl: number }, namespace = ''): void {
    this.#state.dynamicRoles.set(nsKey(namespace, mount, role), { ...ttl });
  }

  /** Makes every path under `prefix` answer 403, whatever the token. */
  deny(prefix: string): void {
    this.#state.deniedPrefixes.add(prefix);
  }

  /** Moves the emulator clock forward: tokens and leases expire on it. */
  advance(seconds: number): void {
    this.#state.advance(seconds);
  }

  leaseState(leaseId: string): LeaseState | undefined {
    return this.#state.leaseState(leaseId);
  }

  /** Ids of leases revoked through sys/leases/revoke. */
  revokedLeases(): string[] {
    return [...this.#state.leases.values()].filter((l) => l.revokedAt !== undefined).map((l) => l.id);
  }
}
