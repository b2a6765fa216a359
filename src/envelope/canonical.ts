/**
 * RFC 8785 (JCS) canonical JSON: one module for the envelope payload and the audit lines. The reference is the
 * `canonicalize` package (by the RFC's author); it refuses NaN, Infinity and lone surrogates, which we surface as
 * a typed failure. On the hot path a native JSON.stringify with members sorted does the same work in half the
 * time (JSON.stringify already emits RFC 8785 numbers and strings); documents with integer-like member names,
 * which JavaScript objects reorder, go to the reference implementation. Tests hold the two equal.
 */
import canonicalize from 'canonicalize';

const INTEGER_LIKE = /^(?:0|[1-9]\d*)$/;

/** The reference implementation, for documents the fast path cannot order. */
function referenceCanonical(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (err) {
    throw new TypeError(`value has no RFC 8785 canonical form: ${(err as Error).message}`, { cause: err });
  }
  if (text === undefined) throw new TypeError('value has no RFC 8785 canonical form');
  return text;
}

/** Canonical JSON text of `value`; throws TypeError for values JCS cannot represent. */
export function canonicalJson(value: unknown): string {
  let reorderable = false;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new TypeError('value has no RFC 8785 canonical form: non-finite number');
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    // Null prototype: a member named "__proto__" must stay a member, not become the object's prototype.
    const sorted = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(v).sort()) {
      if (INTEGER_LIKE.test(key)) reorderable = true;
      sorted[key] = (v as Record<string, unknown>)[key];
    }
    return sorted;
  }) as string | undefined;
  if (reorderable) return referenceCanonical(value);
  if (text === undefined) throw new TypeError('value has no RFC 8785 canonical form');
  if (LONE_SURROGATE_ESCAPE.test(text)) throw new TypeError('value has no RFC 8785 canonical form: lone surrogate');
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
  // Most texts hold no \u escape at all: skip the surrogate regex for them.
  if (JSON.stringify(parsed) === text) return keysSorted(parsed) && (!text.includes('\\u') || !LONE_SURROGATE_ESCAPE.test(text));
  try {
    return canonicalJson(parsed) === text;
  } catch {
    return false;
  }
}
