/**
 * The gateway's own Azure identity. Production: DefaultAzureCredential, which covers workload identity (AKS)
 * and managed identity. It is built on the first token request, not at mount creation, so that merely
 * configuring a mount (or running tests that inject a credential) never makes @azure/identity probe IMDS.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import type { AzureOptions } from './options.ts';

/** Builds the credential a mount's SecretClient uses. */
export function credentialFor(options: AzureOptions): TokenCredential {
  if (options.credential !== undefined) return staticTokenCredential(options.credential.static_token_env);
  return lazyDefaultCredential(options.client_id);
}

function staticTokenCredential(envName: string): TokenCredential {
  const token = process.env[envName];
  if (token === undefined || token === '') throw new Error(`environment variable ${envName} holds no token`);
  return {
    async getToken(): Promise<AccessToken> {
      return { token, expiresOnTimestamp: Date.now() + 3_600_000, tokenType: 'Bearer' };
    },
  };
}

function lazyDefaultCredential(clientId: string | undefined): TokenCredential {
  let inner: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      inner ??= import('@azure/identity').then(
        ({ DefaultAzureCredential }) =>
          new DefaultAzureCredential(
            clientId === undefined ? {} : { managedIdentityClientId: clientId, workloadIdentityClientId: clientId },
          ),
      );
      return (await inner).getToken(scopes, options);
    },
  };
}
