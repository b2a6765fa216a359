/**
 * Per-tenant audit HMAC keys. Sensitive request material (tokens, nonces, HMAC tags) is written only as
 * `hmac-sha256:<hex>` under a key derived per tenant, so an auditor holding one tenant's key can confirm a value
 * for that tenant without being able to test guesses against any other tenant's events.
 */
import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

const SALT = 'crefgate/audit/hmac/v1';
const MIN_KEY_BYTES = 32;

/** Reads the master audit key; the file's bytes (trailing whitespace dropped) are the HKDF input keying material. */
export function readAuditKey(path: string): Buffer {
  const raw = readFileSync(path);
  let end = raw.length;
  while (end > 0 && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d || raw[end - 1] === 0x20)) end--;
  const key = raw.subarray(0, end);
  if (key.length < MIN_KEY_BYTES) throw new Error(`audit hmac key in ${path} is shorter than ${MIN_KEY_BYTES} bytes`);
  return Buffer.from(key);
}

/** HKDF-SHA256 key of one tenant; `undefined` (events outside any tenant) gets its own key. */
export function deriveTenantKey(master: Buffer, tenant: string | undefined): Buffer {
  // Tenant ids never contain '*', so the no-tenant label cannot collide with a real tenant.
  const info = `tenant:${tenant ?? '*'}`;
  return Buffer.from(hkdfSync('sha256', master, SALT, info, 32));
}

/** Hashes values under per-tenant keys, caching each derived key. */
export class AuditHasher {
  private readonly master: Buffer;
  // KeyObjects: createHmac probes a Buffer key as KeyObject and CryptoKey first, ~10 µs per call on Node 24.
  private readonly keys = new Map<string, KeyObject>();

  constructor(master: Buffer) {
    this.master = master;
  }

  /** `hmac-sha256:<hex>` of `value` under the tenant's key. */
  hash(tenant: string | undefined, value: string): string {
    const label = tenant ?? '\0';
    let key = this.keys.get(label);
    if (key === undefined) {
      key = createSecretKey(deriveTenantKey(this.master, tenant));
      this.keys.set(label, key);
    }
    return `hmac-sha256:${createHmac('sha256', key).update(value, 'utf8').digest('hex')}`;
  }
}
