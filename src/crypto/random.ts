/**
 * Unguessable identifiers. 128 bits or more of CSPRNG output, base64url. Bytes are drawn from a pool that
 * randomFillSync refills 4 KB at a time (what Node does for randomUUID): one call per request for request and
 * lease ids showed in the resolve profile; each byte is still used once, and only once.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

/** `n` fresh random bytes (a copy: the pool is overwritten on refill). */
function take(n: number): Buffer {
  if (n > POOL_BYTES) return randomFillSync(Buffer.alloc(n));
  if (offset + n > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + n));
  // Spent bytes are wiped so that a later reader of the pool never sees an id that was handed out.
  pool.fill(0, offset, offset + n);
  offset += n;
  return out;
}

/** `<prefix>_<base64url of `bytes` random bytes>`. */
export function randomId(prefix: string, bytes = 16): string {
  return `${prefix}_${take(bytes).toString('base64url')}`;
}

/** A fresh envelope nonce: 192 bits, base64url (the wire contract asks for at least 128). */
export function newNonce(): string {
  return take(24).toString('base64url');
}
