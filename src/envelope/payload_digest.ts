/** The `pld` claim: base64url SHA-256 of the canonical payload, binding token and payload together. */
import { createHash } from 'node:crypto';

export function payloadDigest(canonicalPayload: string): string {
  return createHash('sha256').update(canonicalPayload).digest('base64url');
}
