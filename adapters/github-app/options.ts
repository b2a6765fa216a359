/**
 * Options of a `github-app` mount (validated once at start-up) and of its routes (validated at each issue).
 * The App's private key is never inline in config: it comes from a file or an environment variable.
 */
import { z } from 'zod';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'an environment variable name');
/** GitHub logins and repository names: letters, digits, `-`, `_`, `.`; never `..` or a slash. */
const login = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'a GitHub account login');
const repoName = z.string().regex(/^(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/, 'a repository name');

const installation = z.union([
  z.strictObject({ id: z.number().int().positive().describe('installation id') }),
  z.strictObject({ org: login.describe('found with GET /orgs/{org}/installation') }),
  z.strictObject({ user: login.describe('found with GET /users/{user}/installation') }),
  z.strictObject({ repository: z.string().regex(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/).describe('owner/name; found with GET /repos/{owner}/{repo}/installation') }),
]);

export const githubAppOptionsSchema = z
  .strictObject({
    /** REST API root: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
    api_url: z.url({ protocol: /^https?$/ }).default('https://api.github.com'),
    /** The App's id (number) or its client id (`Iv…`): the JWT's `iss`. */
    app_id: z.union([z.number().int().positive(), z.string().regex(/^(?:\d{1,12}|Iv[0-9A-Za-z.]{4,40})$/, 'an app id or client id')]),
    private_key_file: z.string().min(1).optional().describe('PEM file of the App private key (PKCS#1 as GitHub issues it, or PKCS#8)'),
    private_key_env: envName.optional().describe('environment variable holding the PEM (\\n escapes accepted)'),
    installation,
    /** Backstop for one HTTP request; the mount's timeout_ms normally fires first. */
    request_timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
  })
  .refine((o) => (o.private_key_file === undefined) !== (o.private_key_env === undefined), {
    message: 'set exactly one of private_key_file, private_key_env',
    path: ['private_key_file'],
  })
  .refine((o) => o.api_url.startsWith('https:') || isLoopbackUrl(o.api_url), {
    message: 'plain http is only allowed to a loopback address',
    path: ['api_url'],
  });

export type GitHubAppOptions = z.infer<typeof githubAppOptionsSchema>;

/** Permission names as GitHub spells them (`contents`, `pull_requests`, `organization_secrets`…). */
const permissionName = z.string().regex(/^[a-z][a-z_]{1,62}$/);

export const githubRouteOptionsSchema = z.strictObject({
  /**
   * Exactly what the token may do; GitHub is asked for this set and the answer must equal it. Default: only
   * `metadata: read` (what every installation has): a token with all of the installation's permissions is
   * never asked for.
   */
  permissions: z
    .record(permissionName, z.enum(['read', 'write', 'admin']))
    .refine((p) => Object.keys(p).length > 0, 'name at least one permission')
    .default({ metadata: 'read' }),
  /**
   * `bound`: the token covers only the repository the job is bound to (its `repository` binding), which must be
   * one of the route path's repositories (or any of the installation's when the path is `*`).
   */
  repositories: z.literal('bound').optional(),
});

export type GitHubRouteOptions = z.infer<typeof githubRouteOptionsSchema>;

/** The repository names a route path lists: `app` or `app,lib`; `*` only together with `repositories: bound`. */
export function parseRepositoryList(path: string): string[] | '*' {
  if (path === '*') return '*';
  const names = path.split(',');
  if (names.length > 100 || names.some((n) => !repoName.safeParse(n).success)) return [];
  return names;
}

function isLoopbackUrl(address: string): boolean {
  const host = new URL(address).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
