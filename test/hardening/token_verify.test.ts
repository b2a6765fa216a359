/**
 * The request-token check runs on node:crypto (src/tokens/compact_jws.ts) instead of jose's WebCrypto path, for
 * speed. This differential test holds it to jose: over mutated and re-signed tokens, whatever jose's jwtVerify
 * (with the options the gateway used to pass) refuses, the gateway refuses too, and what jose accepts, it accepts.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { calculateJwkThumbprint, exportJWK, jwtVerify } from 'jose';
import { GatewayError } from '../../src/errors.ts';
import { TokenKeyring, type TokenAlgorithm } from '../../src/tokens/keyring.ts';
import { TOKEN_TYPE, verifyRequestToken, type TokenPolicy } from '../../src/tokens/request_token.ts';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempFolder } from '../helpers/kit.ts';

const policy: TokenPolicy = { issuer: 'crefgate', audience: 'crefgate:resolve', clockSkewSeconds: 30, maxLifetimeSeconds: 300 };
const NOW = 1_800_000_000_000;
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

async function joseAccepts(keyring: TokenKeyring, token: string): Promise<boolean> {
  // What the gateway checked before compact_jws.ts: the header rules, then jose.
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
    if (Object.keys(header).some((k) => !['alg', 'kid', 'typ'].includes(k)) || header.alg !== keyring.alg || header.typ !== TOKEN_TYPE) return false;
    const key = typeof header.kid === 'string' ? keyring.find(header.kid) : undefined;
    if (key === undefined) return false;
    await jwtVerify(token, key.publicKey, {
      algorithms: [keyring.alg], issuer: policy.issuer, audience: policy.audience, typ: TOKEN_TYPE,
      clockTolerance: policy.clockSkewSeconds, currentDate: new Date(NOW),
      requiredClaims: ['iss', 'aud', 'sub', 'jti', 'iat', 'nbf', 'exp', 'tenant', 'job_id', 'pld'],
    });
    return true;
  } catch {
    return false;
  }
}

let lastReason = '';
async function gatewayAccepts(keyring: TokenKeyring, token: string): Promise<boolean> {
  try {
    await verifyRequestToken(keyring, token, policy, NOW);
    return true;
  } catch (err) {
    assert.ok(err instanceof GatewayError, `a refusal is a typed GatewayError, got ${String(err)}`);
    assert.equal(err.step, 'token');
    lastReason = err.reason;
    return false;
  }
}

// Checks the gateway adds after jose's (typed claims, lifetime, iat in the future): the only refusals jose lacks.
const GATEWAY_ONLY = /is not a string|lifetime exceeds|issued in the future/;

for (const alg of ['RS256', 'ES256', 'EdDSA'] as TokenAlgorithm[]) {
  describe(`request token verification agrees with jose (${alg})`, () => {
    const dir = tempFolder('crefgate-jws-');
    let keyring: TokenKeyring;
    let signWith: (header: Record<string, unknown>, claims: unknown) => string;

    before(async () => {
      const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
      const file = path.join(dir.path, 'key.pem');
      await writeFile(file, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      keyring = await TokenKeyring.load(alg, [{ file, status: 'current' }]);
      const kid = await calculateJwkThumbprint(await exportJWK(pair.publicKey), 'sha256');
      signWith = (header, claims) => {
        const input = `${b64({ alg, kid, typ: TOKEN_TYPE, ...header })}.${b64(claims)}`;
        const algorithm = alg === 'EdDSA' ? null : 'sha256';
        const key = alg === 'ES256' ? { key: pair.privateKey, dsaEncoding: 'ieee-p1363' as const } : pair.privateKey;
        return `${input}.${sign(algorithm, Buffer.from(input), key).toString('base64url')}`;
      };
    });

    const now = NOW / 1000;
    const good = { iss: 'crefgate', aud: 'crefgate:resolve', sub: 'exec-01', jti: 'n'.repeat(22), iat: now, nbf: now, exp: now + 300, tenant: 't', job_id: 'job_12345678', pld: 'x' };
    const claimValue = fc.oneof(fc.constant(undefined), fc.string(), fc.integer({ min: now - 1000, max: now + 1000 }), fc.double(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.constant(['crefgate:resolve', 'other']));

    it('accepts a well-formed token', async () => {
      const token = signWith({}, good);
      assert.equal(await joseAccepts(keyring, token), true);
      assert.equal(await gatewayAccepts(keyring, token), true);
    });

    it("decides like jose, plus the gateway's own claim checks, on re-signed tokens with altered claims (property)", async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...Object.keys(good), 'extra'), claimValue, async (claim, value) => {
          const claims: Record<string, unknown> = { ...good };
          if (value === undefined) delete claims[claim];
          else claims[claim] = value;
          const token = signWith({}, claims);
          const jose = await joseAccepts(keyring, token);
          const ours = await gatewayAccepts(keyring, token);
          if (ours) assert.ok(jose, `gateway accepted what jose refuses: ${claim}=${JSON.stringify(value)}`);
          else if (jose) assert.match(lastReason, GATEWAY_ONLY, `${claim}=${JSON.stringify(value)}`);
        }),
        { numRuns: 200 },
      );
    });

    it('never accepts what jose refuses over byte-level mutations of a valid token (property)', async () => {
      const token = signWith({}, good);
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
      await fc.assert(
        fc.asyncProperty(fc.nat(token.length - 1), fc.constantFrom(...alphabet), fc.constantFrom('replace', 'insert', 'delete'), async (at, ch, op) => {
          const mutated = op === 'replace' ? token.slice(0, at) + ch + token.slice(at + 1) : op === 'insert' ? token.slice(0, at) + ch + token.slice(at) : token.slice(0, at) + token.slice(at + 1);
          const jose = await joseAccepts(keyring, mutated);
          const ours = await gatewayAccepts(keyring, mutated);
          assert.ok(!ours || jose, `gateway accepted a token jose refuses: ${op} ${JSON.stringify(ch)} at ${at}`);
        }),
        { numRuns: 400 },
      );
    });

    it('refuses non-object payloads and unsigned or truncated forms', async () => {
      for (const token of [signWith({}, [good]), signWith({}, 'null'), signWith({}, '"x"'), signWith({}, ''), `${signWith({}, good).split('.').slice(0, 2).join('.')}.`, signWith({}, good).split('.').slice(0, 2).join('.')]) {
        assert.equal(await gatewayAccepts(keyring, token), false, token.slice(0, 40));
      }
    });
  });
}
