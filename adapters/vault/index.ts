/**
 * The `vault` adapter kind: HashiCorp Vault (or OpenBao) through node-vault. KV v1/v2 static secrets,
 * dynamic credentials from any `…/creds/<role>` path with lease renew/revoke, and token, AppRole, JWT or
 * Kubernetes auth with self-renewal (adapter.ts). See docs/adapters/vault.md.
 */
import { defineAdapter } from '../kit/manifest.ts';
import { vaultOptionsSchema } from './options.ts';

export const manifest = defineAdapter({
  kind: 'vault',
  optionsSchema: vaultOptionsSchema,
  load: () => import('./adapter.ts'),
});

export type { VaultOptions } from './options.ts';
