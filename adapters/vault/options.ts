/**
 * Options of a `vault` mount, validated once at start-up. File paths may be relative to the config file.
 * Secrets (token, secret_id, JWT) are never inline in config: they come from an environment variable or a file.
 */
import { z } from 'zod';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');
const filePath = z.string().min(1);
/** A Vault mount path such as `secret`, `kv/team-a` or `approle`: segments without dots, no leading slash. */
const mountPath = z.string().regex(/^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*$/, 'a mount path like "secret" or "kv/team"');

/** Exactly one of two alternative keys must be present. */
const exactlyOne = (a: string, b: string) => (value: Record<string, unknown>) => (value[a] === undefined) !== (value[b] === undefined);

const tokenAuth = z
  .strictObject({ method: z.literal('token'), token_env: envName.optional(), token_file: filePath.optional() })
  .refine(exactlyOne('token_env', 'token_file'), { message: 'set exactly one of token_env, token_file' });

const appRoleAuth = z
  .strictObject({
    method: z.literal('approle'),
    role_id: z.string().min(1),
    secret_id_env: envName.optional(),
    secret_id_file: filePath.optional(),
    mount: mountPath.default('approle'),
  })
  .refine(exactlyOne('secret_id_env', 'secret_id_file'), { message: 'set exactly one of secret_id_env, secret_id_file' });

const jwtAuth = z.strictObject({
  method: z.enum(['jwt', 'kubernetes']),
  role: z.string().min(1),
  /** Re-read at every login, because projected service-account tokens rotate. */
  jwt_file: filePath,
  mount: mountPath.optional(),
});

export const vaultOptionsSchema = z
  .strictObject({
    /** Vault's address, e.g. https://vault.internal:8200. Plain http is accepted only for loopback. */
    address: z.url({ protocol: /^https?$/ }),
    namespace: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*$/, 'a namespace path like "team-a" or "org/team-a"')
      .optional(),
    /** PEM bundle of the CA that signed Vault's certificate; replaces the system trust store for this mount. */
    ca_file: filePath.optional(),
    kv: z.strictObject({
      mount: mountPath,
      version: z.union([z.literal(1), z.literal(2)]),
      /** A secret whose only key is this one reads as a plain string when the route names no field. */
      string_field: z.string().min(1).default('value'),
    }),
    auth: z.union([tokenAuth, appRoleAuth, jwtAuth]),
    /** Backstop for one HTTP request; the mount's timeout_ms normally fires first. */
    request_timeout_ms: z.number().int().min(100).max(120_000).default(30_000),
  })
  .refine((o) => o.address.startsWith('https:') || isLoopbackUrl(o.address), {
    message: 'plain http is only allowed to a loopback address; use https with ca_file',
    path: ['address'],
  })
  .refine((o) => o.ca_file === undefined || o.address.startsWith('https:'), {
    message: 'ca_file needs an https address',
    path: ['ca_file'],
  });

export type VaultOptions = z.infer<typeof vaultOptionsSchema>;
export type VaultAuthOptions = VaultOptions['auth'];

function isLoopbackUrl(address: string): boolean {
  const host = new URL(address).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
