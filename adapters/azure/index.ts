/**
 * Azure Key Vault adapter kind `azure-key-vault`. Mount options: see options.ts and docs/adapters/azure.md.
 */
import type { AdapterFactory } from '../contract.ts';
import { createAzureKeyVaultAdapter } from './adapter.ts';
import { azureOptionsSchema, type AzureOptions } from './options.ts';

export const azureKeyVaultAdapter = {
  kind: 'azure-key-vault',
  optionsSchema: azureOptionsSchema,
  create: (options, context) => createAzureKeyVaultAdapter(options, context),
} satisfies AdapterFactory<AzureOptions>;

export {
  createAzureKeyVaultAdapter,
  createSecretClient,
  type AzureAdapterDeps,
  type AzureSecretClient,
  type CreateAzureClient,
} from './adapter.ts';
export type { AzureOptions } from './options.ts';
