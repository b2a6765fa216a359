/**
 * Signature and registered-claim checks of a compact JWS, synchronous, with node:crypto on KeyObjects. jose 6
 * verifies through WebCrypto: each call converts the KeyObject and runs an async crypto job, which cost more
 * than the RSA verification itself (docs/performance.md). The checks mirror jose's `jwtVerify` with the options
 * request_token.ts used to pass (same order, same failures); nothing is accepted that jose refused. The header
 * (alg, typ, kid, no other member) is checked by the caller before this runs.
 */
import { verify } from 'node:crypto';
import { deny } from '../errors.ts';
import type { SigningKey } from './keyring.ts';
import { tokenRefusedFromMs, type TokenPolicy } from './request_token.ts';

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const REQUIRED = ['iss', 'aud', 'sub', 'jti', 'iat', 'nbf', 'exp', 'tenant', 'job_id', 'pld'];

function segments(token: string): [string, string, string] {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) throw deny('unauthenticated', 'token', 'token rejected: ERR_JWS_INVALID');
  return parts as [string, string, string];
}

/** True when the token's signature verifies under `key` with the keyring's algorithm. */
export function verifyCompactSignature(token: string, key: SigningKey): boolean {
  const [header, payload, signature] = segments(token);
  const input = Buffer.from(`${header}.${payload}`, 'ascii');
  const sig = Buffer.from(signature, 'base64url');
  try {
    if (key.alg === 'RS256') return verify('sha256', input, key.publicKey, sig);
    if (key.alg === 'ES256') return verify('sha256', input, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, sig);
    return verify(null, input, key.publicKey, sig);
  } catch {
    // A signature of the wrong shape for the key: not a valid signature.
    return false;
  }
}

/** The payload as a JSON object; refused unless it is strict UTF-8 JSON with an object at the top. */
export function decodeClaims(token: string): Record<string, unknown> {
  const [, payload] = segments(token);
  let claims: unknown;
  try {
    claims = JSON.parse(utf8.decode(Buffer.from(payload, 'base64url')));
  } catch {
    throw deny('unauthenticated', 'token', 'token rejected: ERR_JWT_INVALID');
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw deny('unauthenticated', 'token', 'token rejected: ERR_JWT_INVALID');
  return claims as Record<string, unknown>;
}

const claimFailed = (claim: string, reason: string) => deny('unauthenticated', 'token', `token claim ${claim} failed: ${reason}`);

function numericDate(claims: Record<string, unknown>, claim: string): number | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw claimFailed(claim, 'invalid');
  return value;
}

/** Presence of every required claim, `iss`, `aud`, then `nbf` and `exp` within the clock skew. */
export function checkRegisteredClaims(claims: Record<string, unknown>, policy: TokenPolicy, nowMs: number): Record<string, unknown> {
  for (const claim of REQUIRED) if (!Object.hasOwn(claims, claim)) throw claimFailed(claim, 'missing');
  if (claims.iss !== policy.issuer) throw claimFailed('iss', 'check_failed');
  const aud = claims.aud;
  if (!(aud === policy.audience || (Array.isArray(aud) && aud.includes(policy.audience)))) throw claimFailed('aud', 'check_failed');
  const now = Math.floor(nowMs / 1000);
  const tolerance = policy.clockSkewSeconds;
  numericDate(claims, 'iat');
  const nbf = numericDate(claims, 'nbf');
  if (nbf !== undefined && nbf > now + tolerance) throw claimFailed('nbf', 'check_failed');
  const exp = numericDate(claims, 'exp');
  // The same function fixes how long the nonce is held (src/state/retention.ts): never change one without the other.
  if (exp !== undefined && nowMs >= tokenRefusedFromMs(exp, tolerance)) throw deny('expired', 'token', 'token expired');
  return claims;
}
