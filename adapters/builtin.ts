/**
 * The adapter kinds built into crefgate, registered explicitly (a duplicate kind fails at start-up). Each cloud
 * kind registers only its options schema up front; its implementation, and the vendor SDK behind it, is imported
 * when a mount of that kind is created, so a gateway pays memory only for the backends it uses.
 */
import type { ZodType } from 'zod';
import { secretsManagerOptionsSchema, stsOptionsSchema } from './aws/options.ts';
import { azureOptionsSchema } from './azure/options.ts';
import type { AdapterFactory } from './contract.ts';
import { gcpOptionsSchema } from './gcp/options.ts';
import { githubAppOptionsSchema } from './github-app/options.ts';
import { localAdapter } from './local/index.ts';
import { mysqlOptionsSchema } from './mysql/options.ts';
import { postgresOptionsSchema } from './postgres/options.ts';
import { AdapterRegistry } from './registry.ts';
import { vaultOptionsSchema } from './vault/options.ts';

/** A factory that imports the real one on first use. */
function lazy(kind: string, optionsSchema: ZodType, load: () => Promise<AdapterFactory>): AdapterFactory {
  return { kind, optionsSchema, create: async (options, context) => (await load()).create(options, context) };
}

export const builtinAdapters: AdapterFactory[] = [
  localAdapter as AdapterFactory,
  lazy('vault', vaultOptionsSchema, async () => (await import('./vault/index.ts')).vaultAdapter as AdapterFactory),
  lazy('aws-secrets-manager', secretsManagerOptionsSchema, async () => (await import('./aws/index.ts')).awsSecretsManagerAdapter as AdapterFactory),
  lazy('aws-sts', stsOptionsSchema, async () => (await import('./aws/index.ts')).awsStsAdapter as AdapterFactory),
  lazy('gcp-secret-manager', gcpOptionsSchema, async () => (await import('./gcp/index.ts')).gcpSecretManagerAdapter as AdapterFactory),
  lazy('azure-key-vault', azureOptionsSchema, async () => (await import('./azure/index.ts')).azureKeyVaultAdapter as AdapterFactory),
  lazy('github-app', githubAppOptionsSchema, async () => (await import('./github-app/index.ts')).githubAppAdapter as AdapterFactory),
  lazy('postgres', postgresOptionsSchema, async () => (await import('./postgres/index.ts')).postgresAdapter as AdapterFactory),
  lazy('mysql', mysqlOptionsSchema, async () => (await import('./mysql/index.ts')).mysqlAdapter as AdapterFactory),
];

/** A registry holding every built-in adapter kind. */
export function builtinRegistry(): AdapterRegistry {
  const registry = new AdapterRegistry();
  for (const factory of builtinAdapters) registry.register(factory);
  return registry;
}
