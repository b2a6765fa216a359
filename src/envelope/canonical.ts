/**
 * RFC 8785 (JCS) canonical JSON. One implementation for the envelope payload and the audit lines: the
 * `canonicalize` package, written by the RFC's author. It refuses NaN, Infinity and lone surrogates, which we
 * surface as a typed failure rather than an exception from deep inside a request.
 */
import canonicalize from 'canonicalize';

/** Canonical JSON text of `value`; throws TypeError for values JCS cannot represent. */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (err) {
    throw new TypeError(`value has no RFC 8785 canonical form: ${(err as Error).message}`, { cause: err });
  }
  if (text === undefined) throw new TypeError('value has no RFC 8785 canonical form');
  return text;
}

// A well-formed JSON.stringify escapes lone surrogates as \udXXX; RFC 8785 has no form for them.
const LONE_SURROGATE_ESCAPE = /\\ud[89a-f]/i;

function keysSorted(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) return value.every(keysSorted);
  let previous: string | undefined;
  for (const key in value) {
    // String `<` compares UTF-16 code units, which is exactly the RFC 8785 member order.
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    if (!keysSorted((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/**
 * True when `text` is exactly the RFC 8785 form of the JSON it holds (`parsed`: that JSON, already parsed).
 * Fast path: JSON.stringify emits RFC 8785 numbers and strings and keeps the source member order, so the text is
 * canonical when stringify reproduces it and every object's members are sorted. Objects with integer-like keys,
 * which JavaScript reorders, miss the fast path and get the full canonicalisation.
 */
export function isCanonicalJsonText(text: string, parsed: unknown): boolean {
  if (JSON.stringify(parsed) === text) return keysSorted(parsed) && !LONE_SURROGATE_ESCAPE.test(text);
  try {
    return canonicalJson(parsed) === text;
  } catch {
    return false;
  }
}
