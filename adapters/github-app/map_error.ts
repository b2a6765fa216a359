/**
 * Turns what Octokit threw into a typed AdapterError. GitHub signals its rate limits two ways: the primary
 * limit is a 403 (or 429) with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (epoch seconds); secondary
 * limits are a 403 or 429 with `retry-after` (seconds). Both become `throttled` with a retry hint, so the
 * client sees `unavailable` with Retry-After and the mount's breaker counts them. GitHub's message text only
 * goes into `cause`.
 */
import { AdapterError } from '../contract.ts';

interface OctokitLikeError {
  status?: unknown;
  response?: { headers?: Record<string, string | number | undefined> };
  name?: unknown;
}

const MAX_RETRY_AFTER_SECONDS = 3600;

/** Seconds to wait that GitHub's headers ask for, if they ask. */
export function retryAfterOf(headers: Record<string, string | number | undefined> | undefined, nowMs: number): number | undefined {
  if (headers === undefined) return undefined;
  const retryAfter = Number(headers['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter >= 0) return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(retryAfter)));
  if (String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    if (Number.isFinite(reset)) return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(reset - nowMs / 1000)));
    return 60;
  }
  return undefined;
}

/** Maps an error of a GitHub call; `action` names the call, e.g. `create installation token`. */
export function mapGitHubError(err: unknown, action: string, signal: AbortSignal, nowMs: number): AdapterError {
  if (err instanceof AdapterError) return err;
  if (signal.aborted) return new AdapterError('timeout', `github ${action}: aborted`, { cause: err });
  const e = (err ?? {}) as OctokitLikeError;
  const status = typeof e.status === 'number' ? e.status : undefined;
  const headers = e.response?.headers;
  const reason = `github ${action}: HTTP ${status ?? '?'}`;
  if (status === 429 || status === 403) {
    const retryAfter = retryAfterOf(headers, nowMs);
    if (status === 429 || retryAfter !== undefined) return new AdapterError('throttled', `${reason} (rate limited)`, { cause: err, retryAfter: retryAfter ?? 60 });
  }
  if (status === 401) return new AdapterError('permission_denied', `${reason} (credentials refused)`, { cause: err });
  if (status === 403) return new AdapterError('permission_denied', reason, { cause: err });
  if (status === 404) return new AdapterError('not_found', reason, { cause: err });
  // 422: the installation does not have a repository or permission the route asks for.
  if (status === 422) return new AdapterError('permission_denied', `${reason} (the installation does not grant the requested repositories or permissions)`, { cause: err });
  if (status !== undefined && status >= 500) return new AdapterError('unavailable', reason, { cause: err });
  if (status !== undefined && status >= 400) return new AdapterError('invalid_reference', reason, { cause: err });
  return new AdapterError('unavailable', `github ${action}: request failed`, { cause: err });
}
