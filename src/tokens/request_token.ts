/**
 * Signing and verifying request tokens. Verification is deliberately narrower than JWT allows: one algorithm,
 * our own `typ`, only the `alg`, `kid` and `typ` headers (anything that points elsewhere for a key, such as
 * jku, x5u, jwk or x5c, or that changes processing, such as crit or b64, is refused before any crypto runs).
 */
import { SignJWT, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { RequestTokenClaims } from '../envelope/schema.ts';
import { GatewayError, deny } from '../errors.ts';
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

  let claims: RequestTokenClaims;
  try {
    const result = await jwtVerify(token, key.publicKey, {
      algorithms: [keyring.alg],
      issuer: policy.issuer,
      audience: policy.audience,
      typ: TOKEN_TYPE,
      clockTolerance: policy.clockSkewSeconds,
      currentDate: new Date(nowMs),
      requiredClaims: ['iss', 'aud', 'sub', 'jti', 'iat', 'nbf', 'exp', 'tenant', 'job_id', 'pld'],
    });
    claims = result.payload as unknown as RequestTokenClaims;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw deny('expired', 'token', 'token expired');
    if (err instanceof joseErrors.JWTClaimValidationFailed) {
      throw deny('unauthenticated', 'token', `token claim ${err.claim} failed: ${err.reason}`);
    }
    if (err instanceof joseErrors.JOSEError) throw deny('unauthenticated', 'token', `token rejected: ${err.code}`);
    throw new GatewayError('internal', { step: 'token', reason: 'token verification failed unexpectedly', cause: err });
  }
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
