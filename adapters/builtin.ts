/** The adapter kinds built into crefgate, registered explicitly (a duplicate kind fails at start-up). */
import { awsSecretsManagerAdapter, awsStsAdapter } from './aws/index.ts';
import { azureKeyVaultAdapter } from './azure/index.ts';
import type { AdapterFactory } from './contract.ts';
import { gcpSecretManagerAdapter } from './gcp/index.ts';
import { localAdapter } from './local/index.ts';
import { AdapterRegistry } from './registry.ts';
import { vaultAdapter } from './vault/index.ts';

export const builtinAdapters: AdapterFactory[] = [
  localAdapter,
  vaultAdapter,
  awsSecretsManagerAdapter,
  awsStsAdapter,
  gcpSecretManagerAdapter,
  azureKeyVaultAdapter,
] as AdapterFactory[];

/** A registry holding every built-in adapter kind. */
export function builtinRegistry(): AdapterRegistry {
  const registry = new AdapterRegistry();
  for (const factory of builtinAdapters) registry.register(factory);
  return registry;
}
