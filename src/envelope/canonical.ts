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
