/**
 * Verifies a GitHub App JWT the way GitHub documents it: RS256 only, signed by the app's registered key, `iss`
 * the app id (number or string) or its client id, `iat` not in the future beyond the 60 s GitHub allows for
 * clock drift, `exp` still ahead and at most ten minutes after `iat`. Any failure is GitHub's 401.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { GitHubFailure } from './model.ts';

const MAX_LIFETIME_SECONDS = 600;
const DRIFT_SECONDS = 60;

export interface RegisteredApp {
  id: number;
  clientId: string;
  publicKey: KeyObject;
}

/** The decoded claims, if `jwt` is a valid app JWT at `nowSeconds`; throws a 401 GitHubFailure otherwise. */
export function verifyAppJwt(jwt: string, app: RegisteredApp, nowSeconds: number): { iss: string | number; iat: number; exp: number } {
  const fail = (why: string) => new GitHubFailure(401, `A JSON web token could not be decoded (${why})`);
  const parts = jwt.split('.');
  if (parts.length !== 3) throw fail('not a compact JWS');
  let header: { alg?: unknown };
  let claims: { iss?: unknown; iat?: unknown; exp?: unknown };
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    throw fail('undecodable');
  }
  if (header.alg !== 'RS256') throw fail('alg must be RS256');
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  if (!verify('RSA-SHA256', signed, app.publicKey, Buffer.from(parts[2]!, 'base64url'))) throw fail('signature');
  const { iss, iat, exp } = claims;
  if (!(iss === app.id || iss === String(app.id) || iss === app.clientId)) throw fail('iss is not this app');
  if (typeof iat !== 'number' || !Number.isInteger(iat)) throw new GitHubFailure(401, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.");
  if (typeof exp !== 'number' || !Number.isInteger(exp)) throw new GitHubFailure(401, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.");
  if (iat > nowSeconds + DRIFT_SECONDS) throw new GitHubFailure(401, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.");
  if (exp <= nowSeconds) throw new GitHubFailure(401, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.");
  if (exp - iat > MAX_LIFETIME_SECONDS) throw new GitHubFailure(401, "'Expiration time' claim ('exp') is too far in the future");
  return { iss, iat, exp };
}

/** The public half of a PEM private key, as GitHub keeps it when the app's key is registered. */
export function publicKeyOf(privatePem: string): KeyObject {
  return createPublicKey(privatePem);
}
