/**
 * The request target of a proxied request, checked on its raw bytes: `/v1/proxy/<lease_id>/<upstream path>[?query]`.
 * Nothing is decoded or normalised before the allow-list sees it, and anything a server downstream could read
 * differently is refused: absolute-form targets, dot segments, percent-encoded `.`, `/`, `\` and control bytes,
 * empty segments, characters outside RFC 3986. What passes is forwarded byte for byte.
 */
import { deny } from '../errors.ts';
import type { RouteProxy } from './config.ts';

export const PROXY_PREFIX = '/v1/proxy/';
const LEASE_ID = /^lease_[A-Za-z0-9_-]{16,64}$/;
// pchar (RFC 3986 §3.3) plus '/': unreserved, sub-delims, ':', '@', and '%' for pct-encoded triplets.
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
const QUERY_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;
// A broken escape, or an encoded '.', '/', backslash, '%' (double encoding) or control byte (CR, LF, NUL…).
const PERCENT = /%(?![0-9A-Fa-f]{2})|%(2[eEfF5]|5[cC]|[01][0-9A-Fa-f]|7[fF])/;

export interface ProxyTarget {
  leaseId: string;
  /** The upstream path, raw, starting with `/`. */
  path: string;
  /** The raw query without `?`, or '' when none. */
  query: string;
}

const malformed = (reason: string) => deny('malformed', 'proxy', reason, 'the proxied request target is not allowed');

/** Splits and checks a raw request target (`req.url`); throws `malformed` at `proxy`. */
export function parseProxyTarget(rawUrl: string): ProxyTarget {
  if (!rawUrl.startsWith('/')) throw malformed('absolute-form or authority-form request target');
  if (!rawUrl.startsWith(PROXY_PREFIX)) throw malformed('not a proxy path');
  const queryAt = rawUrl.indexOf('?');
  const pathPart = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
  const query = queryAt < 0 ? '' : rawUrl.slice(queryAt + 1);
  const rest = pathPart.slice(PROXY_PREFIX.length);
  const slash = rest.indexOf('/');
  const leaseId = slash < 0 ? rest : rest.slice(0, slash);
  if (!LEASE_ID.test(leaseId)) throw malformed('not a lease id');
  const path = slash < 0 ? '/' : rest.slice(slash);
  checkPath(path);
  if (!QUERY_CHARS.test(query) || PERCENT.test(query)) throw malformed('query has a character or escape that is not allowed');
  return { leaseId, path, query };
}

/** Refuses a path that another parser could resolve to a different resource than the allow-list saw. */
export function checkPath(path: string): void {
  if (!PATH_CHARS.test(path)) throw malformed('path has a character outside RFC 3986');
  if (PERCENT.test(path)) throw malformed('path has an encoded dot, slash, backslash or control byte, or a broken escape');
  const segments = path.split('/').slice(1);
  segments.forEach((segment, i) => {
    if (segment === '.' || segment === '..') throw malformed('path has a dot segment');
    if (segment === '' && i < segments.length - 1) throw malformed('path has an empty segment');
  });
}

/** Method and path against the route's allow-list (deny by default); throws `forbidden` at `proxy`. */
export function checkAllowed(proxy: RouteProxy, method: string, path: string): void {
  if (!(proxy.methods as string[]).includes(method)) throw deny('forbidden', 'proxy', `method ${method} is not allowed for this upstream`);
  if (!isAllowedPath(proxy, path)) throw deny('forbidden', 'proxy', 'path is outside the allowed prefixes');
}

/** Whether `path` falls under one of the route's prefixes, on a segment boundary (`/repos` allows `/repos/x`, not `/reposx`). */
export function isAllowedPath(proxy: RouteProxy, path: string): boolean {
  return proxy.path_prefixes.some((prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
}

/** Names of the query parameters (for the audit line: values may carry secrets and are never recorded). */
export function queryKeys(query: string): string[] {
  if (query === '') return [];
  return [...new Set(query.split('&').map((pair) => pair.split('=')[0] ?? '').filter((k) => k !== ''))].slice(0, 32);
}
