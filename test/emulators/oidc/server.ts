/**
 * A workload OIDC issuer on 127.0.0.1 (port 0): discovery document and JWKS over plain HTTP, RS256 keys it can
 * rotate, and a `sign` helper that mints tokens the way GitHub Actions, GitLab CI or a Kubernetes API server
 * would (any claims, any header, for the attack tests). Counts JWKS fetches so caching can be asserted.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, type JWK } from 'jose';

interface IssuerKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JWK;
}

export interface OidcEmulator {
  issuer: string;
  /** How many times the JWKS was served. */
  jwksFetches(): number;
  /** Adds a key to the published JWKS (a rotation at the issuer); returns its kid. */
  rotate(): Promise<string>;
  /** A key that signs but is never published. */
  unpublishedKey(): Promise<IssuerKey>;
  /** Signs `claims` (merged over iss/sub/aud/iat/nbf/exp defaults) with the newest key or `key`. */
  sign(claims?: Record<string, unknown>, options?: { key?: IssuerKey; header?: Record<string, unknown>; nowSeconds?: number }): Promise<string>;
  /** The public key PEM of the newest key (what an HS256 key-confusion attacker would use as secret). */
  publicPem(): string;
  close(): Promise<void>;
}

async function newKey(index: number): Promise<IssuerKey> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `emu-${index}-${Math.random().toString(36).slice(2, 8)}`;
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** Starts the emulator; `path` lets several issuers share a host like real multi-tenant issuers do. */
export async function startOidcEmulator(options: { path?: string; audience?: string } = {}): Promise<OidcEmulator> {
  const keys: IssuerKey[] = [await newKey(0)];
  let fetches = 0;
  let issuer = '';
  const prefix = options.path ?? '';
  const server = http.createServer((req, res) => {
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === `${prefix}/.well-known/openid-configuration`) return send({ issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256'] });
    if (req.url === `${prefix}/jwks`) {
      fetches += 1;
      return send({ keys: keys.map((k) => k.publicJwk) });
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`;
  return {
    issuer,
    jwksFetches: () => fetches,
    async rotate() {
      const key = await newKey(keys.length);
      keys.push(key);
      return key.kid;
    },
    unpublishedKey: () => newKey(99),
    async sign(claims = {}, signOptions = {}) {
      const key = signOptions.key ?? keys[keys.length - 1]!;
      const now = signOptions.nowSeconds ?? Math.floor(Date.now() / 1000);
      return await new SignJWT({ iss: issuer, sub: 'repo:org/app:ref:refs/heads/main', aud: options.audience ?? 'crefgate', iat: now, nbf: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT', ...signOptions.header })
        .sign(key.privateKey);
    },
    publicPem() {
      return createPublicKey(keys[keys.length - 1]!.privateKey).export({ type: 'spki', format: 'pem' }).toString();
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
