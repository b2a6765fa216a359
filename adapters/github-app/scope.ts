/**
 * What one installation token may do, and the check that GitHub granted exactly that. The request names its
 * repositories and permissions explicitly (never "everything the installation has"); the answer must carry
 * the same permission set and the same repositories, `repository_selection: selected`, a token and a future
 * `expires_at`. A wider or merely different answer is refused (and the token revoked by the caller).
 */
import { AdapterError, type IssueRequest } from '../contract.ts';
import type { AccessTokenAnswer } from './client.ts';
import { githubRouteOptionsSchema, parseRepositoryList } from './options.ts';

export interface TokenScope {
  repositories: string[];
  permissions: Record<string, string>;
}

/** The scope a route asks for, for this job (its `repository` binding when the route says `repositories: bound`). */
export function requestedScope(request: IssueRequest, accountLogin: string | undefined): TokenScope {
  const parsed = githubRouteOptionsSchema.safeParse(request.routeOptions ?? {});
  if (!parsed.success) throw new AdapterError('invalid_reference', `github route options: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  if (request.field !== undefined) throw new AdapterError('invalid_reference', 'github installation tokens have no fields');
  const listed = parseRepositoryList(request.path);
  if (listed !== '*' && listed.length === 0) throw new AdapterError('invalid_reference', 'github route path must list repository names (app or app,lib)');
  const { permissions } = parsed.data;
  if (parsed.data.repositories !== 'bound') {
    if (listed === '*') throw new AdapterError('invalid_reference', 'github route path * needs repositories: bound');
    return { repositories: [...listed].sort(), permissions };
  }
  const bound = request.job.bindings?.repository;
  if (bound === undefined) throw new AdapterError('permission_denied', 'github route grants only the job\'s bound repository, and the job is bound to none');
  const [owner, name, extra] = bound.split('/');
  if (owner === undefined || name === undefined || extra !== undefined) throw new AdapterError('permission_denied', 'github bound repository is not owner/name');
  if (accountLogin !== undefined && owner.toLowerCase() !== accountLogin.toLowerCase()) {
    throw new AdapterError('permission_denied', 'github bound repository belongs to another account than the installation');
  }
  if (listed !== '*' && !listed.some((n) => n.toLowerCase() === name.toLowerCase())) {
    throw new AdapterError('permission_denied', 'github bound repository is not one the route allows');
  }
  return { repositories: [name], permissions };
}

/** The token and its expiry (epoch ms) if the answer grants exactly `scope`; throws `integrity` naming what differs. */
export function checkAnswer(answer: AccessTokenAnswer, scope: TokenScope, nowMs: number): { token: string; expiresAt: number; mismatch?: string } {
  const token = typeof answer.token === 'string' && answer.token.length >= 16 ? answer.token : undefined;
  const expiresAt = typeof answer.expires_at === 'string' ? Date.parse(answer.expires_at) : Number.NaN;
  if (token === undefined) throw new AdapterError('integrity', 'github create installation token: answer carried no token');
  const mismatch = answerMismatch(answer, scope, expiresAt, nowMs);
  return mismatch === undefined ? { token, expiresAt } : { token, expiresAt, mismatch };
}

function answerMismatch(answer: AccessTokenAnswer, scope: TokenScope, expiresAt: number, nowMs: number): string | undefined {
  if (!Number.isFinite(expiresAt) || expiresAt <= nowMs) return 'expires_at';
  const granted = answer.permissions;
  if (typeof granted !== 'object' || granted === null || Array.isArray(granted)) return 'permissions';
  const grantedEntries = Object.entries(granted as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
  const askedEntries = Object.entries(scope.permissions).sort(([a], [b]) => (a < b ? -1 : 1));
  if (JSON.stringify(grantedEntries) !== JSON.stringify(askedEntries)) return 'permissions';
  if (answer.repository_selection !== 'selected') return 'repository_selection';
  if (!Array.isArray(answer.repositories)) return 'repositories';
  const names = answer.repositories.map((r) => (typeof r === 'object' && r !== null ? String((r as { name?: unknown }).name).toLowerCase() : '')).sort();
  const asked = scope.repositories.map((n) => n.toLowerCase()).sort();
  if (names.length !== asked.length || names.some((n, i) => n !== asked[i])) return 'repositories';
  return undefined;
}
