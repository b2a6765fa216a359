/**
 * RFC 8785 (JCS) canonical JSON: one module for the envelope payload and the audit lines. NaN, Infinity and lone
 * surrogates have no canonical form and fail with a TypeError. Written here rather than taken from the
 * `canonicalize` package (by the RFC's author) only for speed on the hot path; that package stays the oracle of
 * the property tests, which hold the two equal.
 */
/**
 * Canonical JSON text of `value`; throws TypeError for values JCS cannot represent. Written as a direct walk:
 * strings and numbers go through JSON.stringify (which emits exactly the RFC 8785 forms), members are sorted by
 * UTF-16 code units (what Array#sort does), so integer-like member names need no special case. A JSON.stringify
 * with a sorting replacer called back for every value and copied every object; this is about twice as fast.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string': {
      const text = JSON.stringify(value);
      if (text.includes('\\u') && LONE_SURROGATE_ESCAPE.test(text)) throw new TypeError('value has no RFC 8785 canonical form: lone surrogate');
      return text;
    }
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('value has no RFC 8785 canonical form: non-finite number');
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      // Already in canonical order with nothing stringify would render differently: stringify it whole (an audit
      // event's actor and detail, a lease list), about four times faster than the member-by-member walk below.
      if (stringifiesCanonically(value, 0)) {
        const text = JSON.stringify(value);
        if (text.includes('\\u') && LONE_SURROGATE_ESCAPE.test(text)) throw new TypeError('value has no RFC 8785 canonical form: lone surrogate');
        return text;
      }
      if (Array.isArray(value)) return `[${value.map((v: unknown) => (v === undefined || typeof v === 'function' || typeof v === 'symbol' ? 'null' : canonicalJson(v))).join(',')}]`;
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON: () => unknown }).toJSON());
      const members: string[] = [];
      for (const key of Object.keys(value).sort()) {
        const member = (value as Record<string, unknown>)[key];
        if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
        members.push(`${canonicalJson(key)}:${canonicalJson(member)}`);
      }
      return `{${members.join(',')}}`;
    }
    default:
      throw new TypeError(`value has no RFC 8785 canonical form: ${typeof value}`);
  }
}

/** Nesting past which the fast path is not tried (the walk below then recurses as before). */
const FAST_DEPTH = 32;

/**
 * True when JSON.stringify(value) is its canonical text up to the lone-surrogate check: plain arrays and objects
 * (own enumerable members only, no toJSON) whose members are in code-unit order at every level, holding only
 * strings, finite numbers, booleans, null, and members that both forms omit (undefined, functions, symbols).
 */
function stringifiesCanonically(value: object, depth: number): boolean {
  if (depth > FAST_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!plainMember(item, depth)) return false;
    return true;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  let previous: string | undefined;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return false;
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    if (!plainMember((value as Record<string, unknown>)[key], depth)) return false;
  }
  return true;
}

function plainMember(member: unknown, depth: number): boolean {
  switch (typeof member) {
    case 'string':
    case 'boolean':
    case 'undefined':
    case 'function':
    case 'symbol':
      return true;
    case 'number':
      return Number.isFinite(member);
    case 'object':
      return member === null || stringifiesCanonically(member, depth + 1);
    default:
      return false; // bigint: the walk throws its TypeError
  }
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
