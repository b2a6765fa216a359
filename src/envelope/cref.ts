/**
 * The cref grammar: one strict canonical form, `cref://<tenant>/<segment>[/<segment>…]`.
 * Anything else is rejected, never normalised: no upper-case scheme, no percent-encoding, no empty, `.` or `..`
 * segments, no whitespace, bounded length. A regex per part (not URL parsing) so that nothing is decoded.
 */
import { ID_PATTERN } from './id.ts';

export const CREF_MAX_LENGTH = 256;
export const CREF_MAX_SEGMENTS = 16;
const SCHEME = 'cref://';
const TENANT = ID_PATTERN;
// First character excludes '.' and '-', which rules out '.', '..' and option-like names.
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export interface Cref {
  /** The exact string, which is also its canonical form. */
  raw: string;
  tenant: string;
  /** Name segments after the tenant. */
  segments: string[];
}

/** Parses a cref; returns undefined for anything that is not exactly canonical. */
export function parseCref(input: unknown): Cref | undefined {
  if (typeof input !== 'string' || input.length > CREF_MAX_LENGTH || !input.startsWith(SCHEME)) return undefined;
  const parts = input.slice(SCHEME.length).split('/');
  if (parts.length < 2 || parts.length > CREF_MAX_SEGMENTS + 1) return undefined;
  const [tenant, ...segments] = parts;
  if (tenant === undefined || !TENANT.test(tenant)) return undefined;
  for (const segment of segments) if (!SEGMENT.test(segment)) return undefined;
  return { raw: input, tenant, segments };
}

export function isCref(input: unknown): input is string {
  return parseCref(input) !== undefined;
}

/**
 * A cref pattern for policy: a cref whose segments may be `*` (exactly one segment) or, last only, `**`
 * (one or more segments). The tenant is always literal: a pattern never spans tenants.
 */
export function isCrefPattern(input: unknown): boolean {
  if (typeof input !== 'string' || input.length > CREF_MAX_LENGTH || !input.startsWith(SCHEME)) return false;
  const [tenant, ...segments] = input.slice(SCHEME.length).split('/');
  if (tenant === undefined || !TENANT.test(tenant) || segments.length === 0) return false;
  return segments.every((s, i) => s === '*' || (s === '**' && i === segments.length - 1) || SEGMENT.test(s));
}

/** True when the (already parsed) cref matches the pattern. */
export function matchesPattern(pattern: string, cref: Cref): boolean {
  const [tenant, ...segments] = pattern.slice(SCHEME.length).split('/');
  if (tenant !== cref.tenant) return false;
  for (let i = 0; i < segments.length; i++) {
    const want = segments[i];
    if (want === '**') return cref.segments.length > i;
    const have = cref.segments[i];
    if (have === undefined || (want !== '*' && want !== have)) return false;
  }
  return segments.length === cref.segments.length;
}
