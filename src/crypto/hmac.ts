/** HMAC-SHA256 over canonical payload bytes, and its constant-time check. */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * Keys go to createHmac as KeyObjects: given a Buffer, Node's key preparation first probes it as a KeyObject
 * and as a CryptoKey, which costs ~10 µs per call on Node 24 (measured in docs/performance.md), four times the
 * HMAC itself.
 */
export function hmacKey(key: Buffer | KeyObject): KeyObject {
  return Buffer.isBuffer(key) ? createSecretKey(key) : key;
}

/** base64url HMAC-SHA256 tag of `data` under `key`. */
export function hmacTag(key: Buffer | KeyObject, data: string | Buffer): string {
  return createHmac('sha256', hmacKey(key)).update(data).digest('base64url');
}

/** Constant-time comparison of a presented base64url tag with the expected one. */
export function tagMatches(key: Buffer | KeyObject, data: string | Buffer, presented: string): boolean {
  const expected = createHmac('sha256', hmacKey(key)).update(data).digest();
  const given = Buffer.from(presented, 'base64url');
  // Lengths are public (32 bytes); compare only equal-length buffers, as timingSafeEqual requires.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
