/**
 * Request-token signing keys: loaded once from PEM files, each with a `kid` and a status (current signs; next
 * and previous only verify and are published in the JWKS so rotations need no coordination). Keys are node
 * KeyObjects, which jose uses directly (no WebCrypto import per request).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

export type TokenAlgorithm = 'RS256' | 'ES256' | 'EdDSA';

export interface SigningKey {
  kid: string;
  alg: TokenAlgorithm;
  status: 'current' | 'next' | 'previous';
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JWK;
}

export interface KeySpec {
  file: string;
  kid?: string | undefined;
  status: 'current' | 'next' | 'previous';
}

function checkKeyType(key: KeyObject, alg: TokenAlgorithm, file: string): void {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  const ok =
    (alg === 'RS256' && type === 'rsa' && (details?.modulusLength ?? 0) >= 2048) ||
    (alg === 'ES256' && type === 'ec' && details?.namedCurve === 'prime256v1') ||
    (alg === 'EdDSA' && type === 'ed25519');
  if (!ok) throw new Error(`token key ${file} does not fit ${alg} (got ${type ?? 'unknown'} key)`);
}

export class TokenKeyring {
  readonly alg: TokenAlgorithm;
  private readonly byKid: Map<string, SigningKey>;
  private readonly currentKey: SigningKey;

  private constructor(alg: TokenAlgorithm, keys: SigningKey[]) {
    this.alg = alg;
    this.byKid = new Map(keys.map((k) => [k.kid, k]));
    const current = keys.find((k) => k.status === 'current');
    if (current === undefined) throw new Error('no current token signing key');
    this.currentKey = current;
  }

  /** Loads and checks every key; throws (refusing start-up) on a bad file, wrong key type or duplicate kid. */
  static async load(alg: TokenAlgorithm, specs: KeySpec[]): Promise<TokenKeyring> {
    const keys: SigningKey[] = [];
    for (const spec of specs) {
      const privateKey = createPrivateKey(await readFile(spec.file));
      checkKeyType(privateKey, alg, spec.file);
      const publicKey = createPublicKey(privateKey);
      const jwk = await exportJWK(publicKey);
      const kid = spec.kid ?? (await calculateJwkThumbprint(jwk, 'sha256'));
      if (keys.some((k) => k.kid === kid)) throw new Error(`duplicate token key id ${kid}`);
      keys.push({ kid, alg, status: spec.status, privateKey, publicKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } });
    }
    return new TokenKeyring(alg, keys);
  }

  get current(): SigningKey {
    return this.currentKey;
  }

  /** Verification key for a `kid`, whatever its status; undefined when unknown. */
  find(kid: string): SigningKey | undefined {
    return this.byKid.get(kid);
  }

  /** The public JWKS: current, next and previous keys. */
  jwks(): { keys: JWK[] } {
    return { keys: [...this.byKid.values()].map((k) => k.publicJwk) };
  }
}
