/**
 * Field selection for backends that store a secret as one string (GCP Secret Manager, Azure Key Vault): when a
 * route names a field, the string must be a JSON object and the field one of its scalar members.
 */
import { AdapterError } from './contract.ts';

/** Returns member `field` of the JSON object in `text` as a string; anything else is `not_found`. */
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
  if (!Object.hasOwn(parsed, field)) throw new AdapterError('not_found', 'the secret has no such field');
  const member: unknown = (parsed as Record<string, unknown>)[field];
  if (typeof member === 'string') return member;
  if (typeof member === 'number' || typeof member === 'boolean') return String(member);
  // Objects, arrays and null have no single string form an executor could rely on.
  throw new AdapterError('not_found', 'the field is not a string, number or boolean');
}
