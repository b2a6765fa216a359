/**
 * Mount options of the Azure Key Vault adapter, validated once at start-up. Production authenticates with
 * the gateway's own Azure identity (workload identity on AKS, managed identity elsewhere) through
 * DefaultAzureCredential; `credential.static_token_env` and the relaxed challenge check exist for emulators
 * and are refused for anything but a loopback vault.
 */
import { z } from 'zod';

const API_VERSIONS = ['7.0', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6', '2025-07-01'] as const;

export const azureOptionsSchema = z
  .strictObject({
    vault_url: z
      .url({ protocol: /^https$/ })
      .describe('e.g. https://my-vault.vault.azure.net; plain http is never used'),
    ca_file: z.string().min(1).optional().describe('PEM CA bundle to trust instead of the system roots (tests)'),
    client_id: z
      .string()
      .min(1)
      .optional()
      .describe('client id of a user-assigned managed identity or workload identity'),
    credential: z
      .strictObject({ static_token_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/) })
      .optional()
      .describe('tests only: a bearer token read from this environment variable'),
    api_version: z.enum(API_VERSIONS).optional().describe('Key Vault REST api-version; the SDK default otherwise'),
    disable_challenge_resource_verification: z
      .boolean()
      .default(false)
      .describe('tests only: accept a challenge whose resource is not the vault host'),
  })
  // A static token or an unchecked challenge would weaken a production vault: allow them only on loopback.
  .refine((o) => (o.credential === undefined && !o.disable_challenge_resource_verification) || isLoopbackUrl(o.vault_url), {
    message: 'credential.static_token_env and disable_challenge_resource_verification need a loopback vault_url',
    path: ['credential'],
  });

function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

export type AzureOptions = z.infer<typeof azureOptionsSchema>;
