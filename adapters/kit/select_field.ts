/**
 * The one rule for `field` that every adapter follows: a field names an own member of a structured secret, and
 * its value is handed out as a string only when it has exactly one string form (a string, a number, a boolean).
 * A missing member, null, an object or an array is `not_found`: there is no single text an executor could rely
 * on. Backends that store a secret as one string (AWS Secrets Manager, GCP, Azure) parse it as a JSON object
 * first; backends that store maps (Vault KV, the local store, dynamic credential sets) select from the map.
 */
import { AdapterError } from '../contract.ts';

/** Member `field` of `members` as a string, by the rule above. */
export function selectField(members: Readonly<Record<string, unknown>>, field: string): string {
  if (!Object.hasOwn(members, field)) throw new AdapterError('not_found', 'the secret has no such field');
  const member: unknown = members[field];
  if (typeof member === 'string') return member;
  if (typeof member === 'number' || typeof member === 'boolean') return String(member);
  throw new AdapterError('not_found', 'the field is not a string, number or boolean');
}

/** Member `field` of the JSON object in `text`, by the same rule; text that is not a JSON object is `not_found`. */
export function selectJsonField(text: string, field: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // No cause on purpose: V8's SyntaxError quotes the start of the input, which is the secret.
    throw new AdapterError('not_found', 'a field was requested but the secret is not a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AdapterError('not_found', 'a field was requested but the secret is not a JSON object');
  }
  return selectField(parsed as Record<string, unknown>, field);
}
