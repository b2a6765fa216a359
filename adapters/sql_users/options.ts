/**
 * Option pieces shared by the `postgres` and `mysql` mounts: the admin connection (password from an environment
 * variable or a file, never inline), the user-name prefix, lease lengths and role definitions. A role definition
 * is either membership in existing group roles (the default: no SQL text in config) or checked statements.
 */
import { z } from 'zod';
import { parseStatement, uses } from './statements.ts';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'an environment variable name');

/** A group role or schema name: a plain identifier, so that config never needs quoting rules to be safe. */
export const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a plain identifier (letters, digits, _; at most 63)');

/** Exactly one of two alternative keys must be present. */
const exactlyOne = (a: string, b: string) => (value: Record<string, unknown>) => (value[a] === undefined) !== (value[b] === undefined);

export const tlsOptions = z.strictObject({
  /** PEM bundle of the CA that signed the server's certificate; the system trust store otherwise. */
  ca_file: z.string().min(1).optional(),
  /** Name to check in the server certificate when `host` is an address. */
  servername: z.string().min(1).optional(),
});

/** The admin connection shape; `defaultPort` differs per server. */
export function connectionOptions(defaultPort: number) {
  return z
    .strictObject({
      host: z.string().min(1).max(253),
      port: z.number().int().min(1).max(65_535).default(defaultPort),
      database: identifier.describe('database the admin connects to, and the one named in issued URIs'),
      user: z.string().min(1).max(128),
      password_env: envName.optional(),
      password_file: z.string().min(1).optional(),
      /** TLS to the server; off only when the server is on loopback (refused otherwise). */
      tls: tlsOptions.optional(),
    })
    .refine(exactlyOne('password_env', 'password_file'), { message: 'set exactly one of password_env, password_file' })
    .refine((c) => c.tls !== undefined || isLoopback(c.host), { message: 'an admin connection to a non-loopback host needs tls', path: ['tls'] });
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const statements = z.array(z.string().min(1).max(4000)).min(1).max(20);

/** One role definition. `grant_roles` (default) or operator statements, checked here at start-up. */
export const roleDefinition = z
  .strictObject({
    grant_roles: z.array(identifier).min(1).max(20).optional().describe('group roles the issued user becomes a member of'),
    creation_statements: statements.optional().describe('one statement each; placeholders {{name}}, {{password}}, {{expiration}}'),
    revocation_statements: statements.optional().describe('run before the user is dropped; placeholder {{name}}'),
    default_ttl_seconds: z.number().int().min(10).max(7 * 24 * 3600).optional(),
  })
  .superRefine((role, ctx) => {
    if ((role.grant_roles === undefined) === (role.creation_statements === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of grant_roles, creation_statements' });
    }
    for (const key of ['creation_statements', 'revocation_statements'] as const) {
      (role[key] ?? []).forEach((sql, index) => {
        try {
          const template = parseStatement(sql);
          if (key === 'revocation_statements' && (uses(template, 'password') || uses(template, 'expiration'))) {
            throw new Error('revocation statements may only use {{name}}');
          }
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message, path: [key, index] });
        }
      });
    }
    const created = (role.creation_statements ?? []).map(parseSafely);
    if (role.creation_statements !== undefined && !created.some((t) => t !== undefined && uses(t, 'name') && uses(t, 'password'))) {
      ctx.addIssue({ code: 'custom', message: 'one creation statement must create the user with {{name}} and {{password}}', path: ['creation_statements'] });
    }
  });

function parseSafely(sql: string) {
  try {
    return parseStatement(sql);
  } catch {
    return undefined;
  }
}

export type RoleDefinition = z.infer<typeof roleDefinition>;

/** Role definitions by name; the route's path (or its `role` option) picks one. */
export const roleDefinitions = z
  .record(z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'a role name: lowercase letters, digits, - and _'), roleDefinition)
  .refine((r) => Object.keys(r).length > 0, { message: 'define at least one role' });

/** Options every database mount has besides its connection. */
export const commonShape = {
  /** Start of every issued user name; the orphan sweeper only ever touches users with this prefix. */
  username_prefix: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,15}$/, 'a prefix of lowercase letters, digits and _ (at most 16), starting with a letter')
    .default('cg_'),
  roles: roleDefinitions,
  default_ttl_seconds: z.number().int().min(10).max(7 * 24 * 3600).default(3600).describe('lease asked for when the role sets none; capped at the job end'),
  /** Host (and port) that executors connect to, if not the admin connection's. */
  connect_host: z.string().min(1).max(253).optional(),
  connect_port: z.number().int().min(1).max(65_535).optional(),
  pool_size: z.number().int().min(1).max(100).default(10),
  /** Backstop for one statement; the mount's timeout_ms normally fires first. */
  statement_timeout_ms: z.number().int().min(100).max(120_000).default(15_000),
};
