/**
 * The `vault` adapter kind: HashiCorp Vault (or OpenBao) through node-vault. KV v1/v2 static secrets,
 * dynamic credentials from any `…/creds/<role>` path with lease renew/revoke, and token, AppRole, JWT or
 * Kubernetes auth with self-renewal. See docs/adapters/vault.md.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AdapterContext, AdapterFactory } from '../contract.ts';
import { VaultAdapter } from './adapter.ts';
import { authPlan } from './auth.ts';
import { createNodeVaultClient, type CreateVaultClient } from './client.ts';
import { vaultOptionsSchema, type VaultOptions } from './options.ts';
import { TokenKeeper } from './token_keeper.ts';

export type { VaultOptions } from './options.ts';
export type { CreateVaultClient, VaultClient, VaultClientConfig } from './client.ts';

/** Seams for tests: the SDK client factory, the clock token expiry is measured on, the environment. */
export interface VaultDeps {
  createClient?: CreateVaultClient;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
}

/** Builds a Vault adapter from validated options. Nothing is sent to Vault until the first call. */
function create(options: VaultOptions, context: AdapterContext, deps: VaultDeps = {}): VaultAdapter {
  // Read at start-up so that a missing CA file stops the gateway before it serves, not at the first request.
  const ca = options.ca_file === undefined ? undefined : readFileSync(resolve(context.configDir, options.ca_file));
  const client = (deps.createClient ?? createNodeVaultClient)({
    endpoint: options.address.replace(/\/+$/, ''),
    namespace: options.namespace,
    ca,
    timeoutMs: options.request_timeout_ms,
  });
  const keeper = new TokenKeeper(client, authPlan(options.auth, context.configDir, deps.env ?? process.env), deps.now ?? Date.now);
  return new VaultAdapter(client, keeper, { mount: options.kv.mount, version: options.kv.version, stringField: options.kv.string_field });
}

export const vaultAdapter = {
  kind: 'vault',
  optionsSchema: vaultOptionsSchema,
  create,
} satisfies AdapterFactory<VaultOptions>;
