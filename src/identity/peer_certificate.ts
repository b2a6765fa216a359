/**
 * Facts taken from a verified client certificate: its SHA-256 fingerprint and its URI SANs. Node formats
 * SANs as one string ("URI:a, DNS:b"), quoting entries that contain separators as JSON strings; we parse
 * that form strictly and drop anything we cannot read unambiguously.
 */
import type { X509Certificate } from 'node:crypto';

export interface PeerCertificate {
  /** `sha256:<lower hex>` of the DER certificate. */
  fingerprint: string;
  uris: string[];
}

/** Splits Node's subjectAltName string into `[type, value]` pairs; undefined if it is not well formed. */
export function parseSubjectAltName(san: string | undefined): Array<[string, string]> | undefined {
  if (san === undefined || san === '') return [];
  const out: Array<[string, string]> = [];
  let pos = 0;
  while (pos < san.length) {
    const colon = san.indexOf(':', pos);
    if (colon < 0) return undefined;
    const type = san.slice(pos, colon);
    let value: string;
    if (san[colon + 1] === '"') {
      // JSON-quoted value: find the closing quote that is not escaped.
      let end = colon + 2;
      while (end < san.length && san[end] !== '"') end += san[end] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(san.slice(colon + 1, end + 1)) as string;
      } catch {
        return undefined;
      }
      pos = end + 1;
    } else {
      const comma = san.indexOf(', ', colon);
      value = san.slice(colon + 1, comma < 0 ? san.length : comma);
      pos = comma < 0 ? san.length : comma;
    }
    out.push([type, value]);
    if (san.startsWith(', ', pos)) pos += 2;
    else if (pos < san.length) return undefined;
  }
  return out;
}

/** Reads the fingerprint and URI SANs of a certificate. */
export function describeCertificate(cert: X509Certificate): PeerCertificate {
  const fingerprint = `sha256:${cert.fingerprint256.replaceAll(':', '').toLowerCase()}`;
  const sans = parseSubjectAltName(cert.subjectAltName) ?? [];
  return { fingerprint, uris: sans.filter(([type]) => type === 'URI').map(([, value]) => value) };
}
