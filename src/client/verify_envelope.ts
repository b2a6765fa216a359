/**
 * What an executor checks before presenting an envelope: the HMAC with its own secret (the payload came from
 * the gateway, unmodified), and the token's signature against the gateway's public JWKS and its binding to this
 * payload. A tampered or misdirected envelope is refused locally, without a round trip.
 */
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { tagMatches } from '../crypto/hmac.ts';
import { canonicalJson } from '../envelope/canonical.ts';
import { payloadDigest } from '../envelope/payload_digest.ts';
import type { Envelope } from '../envelope/schema.ts';

export interface EnvelopeCheck {
  /** This executor's HMAC secret(s) by kid. */
  hmacSecrets: Map<string, Buffer>;
  jwks: JSONWebKeySet;
  executor?: string;
}

export async function verifyEnvelope(envelope: Envelope, check: EnvelopeCheck): Promise<void> {
  const canonical = canonicalJson(envelope.payload);
  const secret = check.hmacSecrets.get(envelope.kid);
  if (secret === undefined) throw new Error(`envelope is signed with HMAC key ${envelope.kid}, which this executor does not hold`);
  if (!tagMatches(secret, canonical, envelope.sig)) throw new Error('envelope HMAC does not verify: payload modified or not for this executor');
  if (check.executor !== undefined && envelope.payload.executor !== check.executor) throw new Error(`envelope is for executor ${envelope.payload.executor}`);
  const { payload } = await jwtVerify(envelope.token, createLocalJWKSet(check.jwks), { algorithms: ['RS256', 'ES256', 'EdDSA'] });
  if (payload.pld !== payloadDigest(canonical) || payload.jti !== envelope.payload.nonce || payload.sub !== envelope.payload.executor) {
    throw new Error('request token is not bound to this payload');
  }
}
