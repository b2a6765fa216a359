/**
 * The adapter kinds built into crefgate: one manifest per kind, listed here and registered explicitly (a
 * duplicate kind fails at start-up). A manifest carries only the kind and its options schema; its
 * implementation, and the vendor SDK behind it, is imported when the first mount of that kind is created, so a
 * gateway pays memory only for the backends it uses (the AWS, GCP and Azure SDKs alone are tens of megabytes
 * of heap). Each kind's folder follows the template in docs/adapters/authoring.md.
 */
import { manifest as awsSecretsManager } from './aws-secrets-manager/index.ts';
import { manifest as awsSts } from './aws-sts/index.ts';
import { manifest as azureKeyVault } from './azure-key-vault/index.ts';
import type { AdapterFactory } from './contract.ts';
import { manifest as gcpSecretManager } from './gcp-secret-manager/index.ts';
import { manifest as githubApp } from './github-app/index.ts';
import { type AdapterManifest, factoryOf } from './kit/manifest.ts';
import { manifest as local } from './local/index.ts';
import { manifest as mysql } from './mysql/index.ts';
import { manifest as postgres } from './postgres/index.ts';
import { AdapterRegistry } from './registry.ts';
import { manifest as vault } from './vault/index.ts';

/** Every built-in kind's manifest; the conformance meta-test (test/adapters/conformance_coverage.test.ts) reads this list. */
export const builtinManifests: readonly AdapterManifest[] = [
  local,
  vault,
  awsSecretsManager,
  awsSts,
  gcpSecretManager,
  azureKeyVault,
  githubApp,
  postgres,
  mysql,
];

/** The built-in kinds as registry factories. */
export const builtinAdapters: AdapterFactory[] = builtinManifests.map((m) => factoryOf(m));

/** A registry holding every built-in adapter kind. */
export function builtinRegistry(): AdapterRegistry {
  const registry = new AdapterRegistry();
  for (const factory of builtinAdapters) registry.register(factory);
  return registry;
}
