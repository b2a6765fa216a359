/**
 * Turns a route's backend path into a Key Vault secret name. Names allow only letters, digits and `-`, and
 * are case-insensitive; a path may hold `/`. So:
 *
 * - segments are joined with `--`; a segment may not contain `--` or start or end with `-`, which keeps the
 *   mapping one to one (two different paths never name the same secret);
 * - paths must be lower case: Key Vault would treat `Db` and `db` as one secret, and one secret should have
 *   one path (lower case still reaches a secret created with capitals).
 *
 * Anything else is refused as `invalid_reference`, never repaired.
 */
import { AdapterError } from '../contract.ts';

const SEPARATOR = '--';
const SEGMENT = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const MAX_NAME = 127;
// Key Vault version ids are 32 hex digits; allow any short alphanumeric id and let the vault decide.
const VERSION = /^[A-Za-z0-9]{1,64}$/;

/** The Key Vault secret name for `path`. */
export function secretNameOf(path: string): string {
  const segments = path.split('/');
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || segment.includes(SEPARATOR)) {
      throw new AdapterError('invalid_reference', 'a path segment is not usable in a secret name (a-z, 0-9, inner single -)');
    }
  }
  const name = segments.join(SEPARATOR);
  if (name.length > MAX_NAME) throw new AdapterError('invalid_reference', 'the secret name is longer than 127 characters');
  return name;
}

/** Checks a pinned version id; undefined means the current version. */
export function checkVersion(version: string | undefined): string | undefined {
  if (version !== undefined && !VERSION.test(version)) {
    throw new AdapterError('invalid_reference', 'the version is not a Key Vault version id');
  }
  return version;
}
