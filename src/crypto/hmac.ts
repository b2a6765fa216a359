/** HMAC-SHA256 over canonical payload bytes, and its constant-time check. */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** base64url HMAC-SHA256 tag of `data` under `key`. */
export function hmacTag(key: Buffer, data: string | Buffer): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}

/** Constant-time comparison of a presented base64url tag with the expected one. */
export function tagMatches(key: Buffer, data: string | Buffer, presented: string): boolean {
  const expected = createHmac('sha256', key).update(data).digest();
  const given = Buffer.from(presented, 'base64url');
  // Lengths are public (32 bytes); compare only equal-length buffers, as timingSafeEqual requires.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
