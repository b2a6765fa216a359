/**
 * The Vault mount and routes the gateway tests configure against the Vault emulator (single gateway or replica
 * set alike): KV v2 at `secret`, token auth read from an environment variable, no retries (a test sees each
 * backend answer as it comes).
 */
import type { MountConfig, RouteConfig } from '../../src/config/schema.ts';

export interface VaultMountTuning {
  /** The mount's `timeout_ms`. */
  timeoutMs: number;
  /** The client's own per-request timeout (`options.request_timeout_ms`); the adapter's default when absent. */
  requestTimeoutMs?: number;
  /** The mount's breaker; the schema's defaults when absent. */
  breaker?: MountConfig['breaker'];
}

/** A `vault` mount on `address`, authenticating with the token in `tokenEnv`. */
export function vaultMount(address: string, tokenEnv: string, tuning: VaultMountTuning): MountConfig {
  return {
    adapter: 'vault',
    options: {
      address,
      kv: { mount: 'secret', version: 2 },
      auth: { method: 'token', token_env: tokenEnv },
      ...(tuning.requestTimeoutMs === undefined ? {} : { request_timeout_ms: tuning.requestTimeoutMs }),
    },
    timeout_ms: tuning.timeoutMs,
    retry: { attempts: 0, base_delay_ms: 10, max_delay_ms: 100 },
    breaker: tuning.breaker ?? { failure_threshold: 5, cooldown_ms: 10_000 },
  };
}

/** `cref://{tenant}/vault/{name}`: the `token` field of the static KV secret `tenants/{tenant}/{name}`. */
export const vaultKvRoute = (): RouteConfig => ({ cref: 'cref://{tenant}/vault/{name}', mount: 'vault', path: 'tenants/{tenant}/{name}', field: 'token', dynamic: false });

/** `cref://{tenant}/db/{role}`: a dynamic credential of Vault's database engine. */
export const vaultDbRoute = (): RouteConfig => ({ cref: 'cref://{tenant}/db/{role}', mount: 'vault', path: 'database/creds/{role}', dynamic: true });
