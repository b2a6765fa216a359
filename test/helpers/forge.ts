/**
 * Builds hostile envelopes for the attack and bad-input tests: re-signed payloads (as a compromised executor
 * holding its own HMAC secret could), tokens signed with the gateway's key file (as a compromised issuer could),
 * and tokens with forbidden algorithms or headers.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, calculateJwkThumbprint, exportJWK } from 'jose';
import { hmacTag } from '../../src/crypto/hmac.ts';
import { canonicalJson } from '../../src/envelope/canonical.ts';
import { payloadDigest } from '../../src/envelope/payload_digest.ts';
import type { Envelope, JobPayload } from '../../src/envelope/schema.ts';
import { TOKEN_TYPE } from '../../src/tokens/request_token.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Re-tags a modified payload with the executor's HMAC secret (the token still binds the original). */
export function retag(envelope: Envelope, payload: JobPayload, hmac: Map<string, Buffer>): Envelope {
  const [kid, secret] = [...hmac][0]!;
  return { ...envelope, payload, kid, sig: hmacTag(secret, canonicalJson(payload)) };
}

/** Claims a valid token for `payload` would carry. */
export function claimsFor(payload: JobPayload, nowSeconds: number, overrides: Record<string, unknown> = {}) {
  return {
    iss: 'crefgate',
    aud: 'crefgate:resolve',
    sub: payload.executor,
    jti: payload.nonce,
    iat: nowSeconds,
    nbf: nowSeconds,
    exp: nowSeconds + 300,
    tenant: payload.tenant,
    job_id: payload.job_id,
    pld: payloadDigest(canonicalJson(payload)),
    ...overrides,
  };
}

/** Signs claims with the gateway's real token key (what only a compromised issuer could do). */
export async function signWithGatewayKey(dir: string, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const key = createPrivateKey(readFileSync(path.join(dir, 'keys', 'token-signing.pem')));
  const kid = await calculateJwkThumbprint(await exportJWK(createPublicKey(key)), 'sha256');
  return await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: TOKEN_TYPE, ...header }).sign(key);
}

/** An unsigned token (`alg: none`). */
export function unsignedToken(claims: Record<string, unknown>, kid: string): string {
  return `${b64({ alg: 'none', kid, typ: TOKEN_TYPE })}.${b64(claims)}.`;
}

/** HS256 "signed" with the gateway's public key PEM as the HMAC secret (the classic key-confusion attack). */
export async function hs256WithPublicKey(dir: string, claims: Record<string, unknown>, kid: string): Promise<string> {
  const publicPem = createPublicKey(createPrivateKey(readFileSync(path.join(dir, 'keys', 'token-signing.pem')))).export({ type: 'spki', format: 'pem' });
  return await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid, typ: TOKEN_TYPE }).sign(Buffer.from(publicPem));
}

/** The `kid` of an envelope's token. */
export function tokenKid(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
}

/** RS256 over an arbitrary header, signed with node:crypto directly (jose refuses to create some of these). */
export async function signRaw(dir: string, header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string> {
  const { sign } = await import('node:crypto');
  const key = createPrivateKey(readFileSync(path.join(dir, 'keys', 'token-signing.pem')));
  const kid = await calculateJwkThumbprint(await exportJWK(createPublicKey(key)), 'sha256');
  const input = `${b64({ alg: 'RS256', kid, typ: TOKEN_TYPE, ...header })}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}
