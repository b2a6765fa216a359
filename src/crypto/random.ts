/** Unguessable identifiers. 128 bits or more of CSPRNG output, base64url. */
import { randomBytes } from 'node:crypto';

/** `<prefix>_<base64url of `bytes` random bytes>`. */
export function randomId(prefix: string, bytes = 16): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

/** A fresh envelope nonce: 192 bits, base64url (the wire contract asks for at least 128). */
export function newNonce(): string {
  return randomBytes(24).toString('base64url');
}
