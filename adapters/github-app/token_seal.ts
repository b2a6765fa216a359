/**
 * Sealing an installation token into its lease handle. GitHub revokes a token only when the token itself asks
 * (`DELETE /installation/token`), so the revoke handle must carry it; the contract says a handle never holds the
 * secret. The handle therefore holds it sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the App
 * private key, which only the gateway holds: the state store (Redis) sees ciphertext. The associated data binds
 * the ciphertext to the installation and expiry stored beside it, so fields cannot be swapped between handles.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

const INFO = 'crefgate github-app token seal v1';

/** The 32-byte sealing key of one App key. */
export function sealKeyOf(privateKey: KeyObject, appId: string | number): Buffer {
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  return Buffer.from(hkdfSync('sha256', der, Buffer.from(`app:${appId}`), INFO, 32));
}

/** base64url(iv ‖ ciphertext ‖ tag). */
export function sealToken(key: Buffer, token: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The token, or undefined if the seal was made under another key or tampered with. */
export function openToken(key: Buffer, sealed: string, aad: string): string | undefined {
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length < 12 + 16 + 1) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
