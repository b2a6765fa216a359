/**
 * Vault paths built from route output. A path that could mean two things (`..`, empty segments, query or
 * fragment characters) is refused as invalid_reference rather than normalised.
 */
import { AdapterError } from '../contract.ts';

const SEGMENT = /^[A-Za-z0-9_@+=:,~-][A-Za-z0-9_.@+=:,~-]*$/;

/** Splits and checks a relative Vault path, returning it percent-encoded segment by segment. */
export function encodePath(path: string, what: string): string {
  const segments = path.split('/');
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || segment === '.' || segment === '..') {
      throw new AdapterError('invalid_reference', `vault ${what}: path has an empty or disallowed segment`);
    }
  }
  return segments.map(encodeURIComponent).join('/');
}

/** A KV v2 version pin: a positive decimal integer, nothing else. */
export function parseKvVersion(version: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(version)) throw new AdapterError('invalid_reference', 'vault kv: version must be a positive integer');
  return Number(version);
}

/** True for paths that mint dynamic credentials: `<mount…>/creds/<role>`. */
export function isCredsPath(path: string): boolean {
  return /^(?:[^/]+\/)+creds\/[^/]+$/.test(path);
}
