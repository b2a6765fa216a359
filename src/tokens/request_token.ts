/**
 * Signing and verifying request tokens. Verification is deliberately narrower than JWT allows: one algorithm,
 * our own `typ`, only the `alg`, `kid` and `typ` headers (anything that points elsewhere for a key, such as
 * jku, x5u, jwk or x5c, or that changes processing, such as crit or b64, is refused before any crypto runs).
 * The signature and registered claims are checked by compact_jws.ts with node:crypto on the keyring's KeyObjects.
 */
import { SignJWT, decodeProtectedHeader } from 'jose';
import type { RequestTokenClaims } from '../envelope/schema.ts';
import { deny } from '../errors.ts';
import { checkRegisteredClaims, decodeClaims, verifyCompactSignature } from './compact_jws.ts';
import type { TokenKeyring } from './keyring.ts';

export const TOKEN_TYPE = 'crefgate-request+jwt';
const ALLOWED_HEADERS = new Set(['alg', 'kid', 'typ']);

export interface TokenPolicy {
  issuer: string;
  audience: string;
  clockSkewSeconds: number;
  /** Longest allowed `exp - iat`. */
  maxLifetimeSeconds: number;
}

/**
 * Epoch ms from which a token whose `exp` is `exp` (seconds) is refused, with `clockSkewSeconds` of tolerance: it
 * is accepted at every instant before. The ONE rule shared by the token check (compact_jws.ts) and the nonce
 * retention (src/state/retention.ts), so a nonce can never be forgotten while a replica still accepts its token.
 * `ceil` keeps a fractional `exp` exact: the check compares whole seconds of the clock.
 */
export function tokenRefusedFromMs(exp: number, clockSkewSeconds: number): number {
  return Math.ceil(exp + clockSkewSeconds) * 1000;
}

/** Signs request-token claims with the current key. */
export async function signRequestToken(keyring: TokenKeyring, claims: RequestTokenClaims): Promise<string> {
  const key = keyring.current;
  return await new SignJWT({ ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: TOKEN_TYPE })
    .sign(key.privateKey);
}

/** Verifies signature and registered claims; throws a GatewayError at step `token`. */
export async function verifyRequestToken(
  keyring: TokenKeyring,
  token: string,
  policy: TokenPolicy,
  nowMs: number,
): Promise<RequestTokenClaims> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw deny('unauthenticated', 'token', 'token header is not decodable');
  }
  for (const name of Object.keys(header)) {
    if (!ALLOWED_HEADERS.has(name)) throw deny('unauthenticated', 'token', `token header ${name} is not allowed`);
  }
  if (header.alg !== keyring.alg) throw deny('unauthenticated', 'token', `token alg ${String(header.alg)} is not allowed`);
  if (header.typ !== TOKEN_TYPE) throw deny('unauthenticated', 'token', 'token typ is not a crefgate request token');
  const key = typeof header.kid === 'string' ? keyring.find(header.kid) : undefined;
  if (key === undefined) throw deny('unauthenticated', 'token', 'unknown token kid');

  if (!verifyCompactSignature(token, key)) throw deny('unauthenticated', 'token', 'token rejected: ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  const claims = checkRegisteredClaims(decodeClaims(token), policy, nowMs) as unknown as RequestTokenClaims;
  for (const name of ['sub', 'jti', 'tenant', 'job_id', 'pld'] as const) {
    if (typeof claims[name] !== 'string') throw deny('unauthenticated', 'token', `token claim ${name} is not a string`);
  }
  if (claims.exp - claims.iat > policy.maxLifetimeSeconds) {
    throw deny('unauthenticated', 'token', 'token lifetime exceeds the maximum');
  }
  if (claims.iat * 1000 > nowMs + policy.clockSkewSeconds * 1000) {
    throw deny('unauthenticated', 'token', 'token issued in the future beyond the allowed skew');
  }
  return claims;
}
