/**
 * Request-token signing keys across a rotation: JWKS publishes current, next and previous; tokens signed by a
 * demoted key verify until their natural expiry; a retired key's tokens fail; the procedure's steps.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from '../../src/errors.ts';
import { TokenKeyring, type KeySpec } from '../../src/tokens/keyring.ts';
import { signRequestToken, verifyRequestToken, type TokenPolicy } from '../../src/tokens/request_token.ts';
import { rotateKeySpecs } from '../../src/tokens/rotation.ts';
import { tempFolder } from '../helpers/kit.ts';

const policy: TokenPolicy = { issuer: 'crefgate', audience: 'crefgate:resolve', clockSkewSeconds: 30, maxLifetimeSeconds: 300 };
const claims = (now: number) => ({ iss: 'crefgate', aud: 'crefgate:resolve', sub: 'exec-01', jti: 'n'.repeat(24), iat: now, nbf: now, exp: now + 300, tenant: 'tenant_abc', job_id: 'job_x', pld: 'p' });

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof GatewayError);
    return err;
  }
  throw new Error('expected a refusal');
}

describe('token signing key rotation', () => {
  const tmp = tempFolder('crefgate-keys-');
  const file = (name: string) => path.join(tmp.path, `${name}.pem`);
  before(async () => {
    for (const name of ['a', 'b', 'c']) {
      await writeFile(file(name), generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    }
  });

  it('plans each step: publish first, then promote next, demote current, retire previous', () => {
    let plan = rotateKeySpecs([{ file: 'a', status: 'current' }], 'b');
    assert.deepEqual(plan, { keys: [{ file: 'a', status: 'current' }, { file: 'b', status: 'next' }], retired: [] });
    plan = rotateKeySpecs(plan.keys, 'c');
    assert.deepEqual(plan.keys, [{ file: 'b', status: 'current' }, { file: 'a', status: 'previous' }, { file: 'c', status: 'next' }]);
    plan = rotateKeySpecs(plan.keys, 'd');
    assert.deepEqual(plan, { keys: [{ file: 'c', status: 'current' }, { file: 'b', status: 'previous' }, { file: 'd', status: 'next' }], retired: ['a'] });
    assert.throws(() => rotateKeySpecs(plan.keys, 'c'), /already in the keyring/);
    assert.throws(() => rotateKeySpecs([{ file: 'a', status: 'next' }], 'b'), /exactly one current/);
  });

  it('publishes current, next and previous keys, never private members', async () => {
    const ring = await TokenKeyring.load('RS256', [{ file: file('b'), status: 'current' }, { file: file('a'), status: 'previous' }, { file: file('c'), status: 'next' }]);
    const jwks = ring.jwks();
    assert.equal(jwks.keys.length, 3);
    assert.ok(jwks.keys.every((k) => k.d === undefined && typeof k.kid === 'string' && k.alg === 'RS256'));
    assert.equal(ring.current.kid, jwks.keys[0]!.kid);
  });

  it('verifies a demoted key\'s tokens until their natural expiry, and a retired key\'s never', async () => {
    const before: KeySpec[] = [{ file: file('a'), status: 'current' }, { file: file('b'), status: 'next' }];
    const ringBefore = await TokenKeyring.load('RS256', before);
    const now = Math.floor(Date.now() / 1000);
    const oldToken = await signRequestToken(ringBefore, claims(now));

    const step1 = rotateKeySpecs(before, file('c'));
    const ringAfter = await TokenKeyring.load('RS256', step1.keys);
    assert.notEqual(ringAfter.current.kid, ringBefore.current.kid);
    await verifyRequestToken(ringAfter, oldToken, policy, now * 1000 + 60_000);
    const newToken = await signRequestToken(ringAfter, claims(now));
    await verifyRequestToken(ringBefore, newToken, policy, now * 1000); // replicas not yet rolled know it as next
    const expired = await refusal(verifyRequestToken(ringAfter, oldToken, policy, (now + 300 + 31) * 1000));
    assert.deepEqual([expired.code, expired.step], ['expired', 'token']);

    const step2 = rotateKeySpecs(step1.keys, file('d-unused'));
    assert.deepEqual(step2.retired, [file('a')]);
    const ringRetired = await TokenKeyring.load('RS256', step2.keys.filter((k) => k.file !== file('d-unused')));
    const unknown = await refusal(verifyRequestToken(ringRetired, oldToken, policy, now * 1000 + 60_000));
    assert.deepEqual([unknown.code, unknown.step, unknown.reason], ['unauthenticated', 'token', 'unknown token kid']);
  });
});
