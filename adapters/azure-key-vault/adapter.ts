/**
 * Azure Key Vault as a crefgate backend: `read` is one getSecret call. The SDK answers the vault's 401
 * challenge itself (keyVaultAuthenticationPolicy); its retries are off because crefgate's resilience layer
 * owns retries, so a 429 surfaces at once with the vault's Retry-After.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SecretClient } from '@azure/keyvault-secrets';
import type { AdapterContext, HealthReport, ReadRequest, SecretAdapter, StaticSecret } from '../contract.ts';
import { HEALTH_PROBE_SECRET, probeHealth } from '../kit/health_probe.ts';
import { selectJsonField } from '../kit/select_field.ts';
import { credentialFor } from './credential.ts';
import { manifest } from './index.ts';
import { mapAzureError } from './map_error.ts';
import type { AzureOptions } from './options.ts';
import { checkVersion, secretNameOf } from './secret_name.ts';

/** What the adapter needs from the SDK: SecretClient fits. */
export type AzureSecretClient = Pick<SecretClient, 'getSecret'>;
export type CreateAzureClient = (options: AzureOptions, context: AdapterContext) => AzureSecretClient | Promise<AzureSecretClient>;

export interface AzureAdapterDeps {
  createClient?: CreateAzureClient;
}


/** Builds the official SecretClient for a mount. */
export const createSecretClient: CreateAzureClient = async (options, context) => {
  const { SecretClient } = await import('@azure/keyvault-secrets');
  const ca = options.ca_file === undefined ? undefined : await readFile(resolve(context.configDir, options.ca_file), 'utf8');
  return new SecretClient(options.vault_url, credentialFor(options), {
    retryOptions: { maxRetries: 0 },
    disableChallengeResourceVerification: options.disable_challenge_resource_verification,
    ...(options.api_version === undefined ? {} : { serviceVersion: options.api_version }),
    ...(ca === undefined ? {} : { tlsOptions: { ca } }),
  });
};

/** Builds an Azure Key Vault adapter for one mount. */
export async function create(
  options: AzureOptions,
  context: AdapterContext,
  deps: AzureAdapterDeps = {},
): Promise<SecretAdapter> {
  const client = await (deps.createClient ?? createSecretClient)(options, context);

  return {
    kind: manifest.kind,

    async read(request: ReadRequest): Promise<StaticSecret> {
      const name = secretNameOf(request.path);
      const version = checkVersion(request.version);
      let secret: Awaited<ReturnType<typeof client.getSecret>>;
      try {
        secret = await client.getSecret(name, { version, abortSignal: request.signal });
      } catch (err) {
        throw mapAzureError(err);
      }
      // Key Vault values are always strings; an absent one is an empty secret, not a missing one.
      const text = secret.value ?? '';
      return {
        value: request.field === undefined ? text : selectJsonField(text, request.field),
        encoding: 'utf8',
        version: secret.properties.version,
        contentType: secret.properties.contentType,
      };
    },

    health(signal: AbortSignal): Promise<HealthReport> {
      return probeHealth(() => client.getSecret(HEALTH_PROBE_SECRET, { abortSignal: signal }), {
        okDetail: 'reachable',
        // 404 and 403 both prove the vault answered a request that carried an accepted token.
        answered: (err) => ([404, 403].includes((err as { statusCode?: number }).statusCode ?? 0) ? 'reachable' : undefined),
        failure: (err) => mapAzureError(err).reason,
      });
    },

    // SecretClient holds no sockets of its own beyond Node's shared agent: nothing to release.
    async close(): Promise<void> {},
  };
}
