/**
 * The `azure-key-vault` adapter kind: Azure Key Vault through the official SecretClient (adapter.ts). Mount
 * options: options.ts and docs/adapters/azure.md.
 */
import { defineAdapter } from '../kit/manifest.ts';
import { azureOptionsSchema } from './options.ts';

export const manifest = defineAdapter({
  kind: 'azure-key-vault',
  optionsSchema: azureOptionsSchema,
  load: () => import('./adapter.ts'),
});

export type { AzureOptions } from './options.ts';
