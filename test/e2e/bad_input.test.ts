/**
 * Bad input: every malformed or hostile request gets a typed 4xx with a request id, an audit line naming the
 * step, and changes nothing: the legitimate envelope the mutations were made from still resolves at the end.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { envelopeBody, type CrefgateClient, type Envelope } from '../../src/client/index.ts';
import { canonicalJson } from '../../src/envelope/canonical.ts';
import { assertNoSecretLeak, refused } from '../helpers/assertions.ts';
import { claimsFor, hs256WithPublicKey, signRaw, signWithGatewayKey, tokenKid, unsignedToken } from '../helpers/forge.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

describe('bad input to /v1/resolve changes nothing', () => {
  let gw: TestGateway;
  let executor: CrefgateClient;
  let envelope: Envelope;
  let body: string;
  const nowSeconds = () => Math.floor(gw.clock.now() / 1000);
  const withToken = (token: string) => envelopeBody({ ...envelope, token });

  before(async () => {
    gw = await startGateway();
    executor = gw.client('executor');
    envelope = await gw.client('coordinator').issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { github: 'cref://tenant_abc/github_token' }, ttl: 600 });
    body = envelopeBody(envelope);
  });
  after(async () => {
    // The legitimate envelope survived every attempt: no attempt burned its nonce.
    const result = await executor.resolve(envelope, { hmacSecrets: gw.hmac });
    assert.ok(result.secrets.github);
    await assertNoSecretLeak(gw);
    assert.ok(!gw.logs.join('').includes('    at '), 'no stack trace in the logs for client mistakes');
    await gw.close();
  });

  const shapeCases: Array<[string, () => string]> = [
    ['malformed JSON', () => body.slice(0, -1)],
    ['trailing garbage', () => `${body}x`],
    ['an unknown top-level member', () => body.replace('{"payload"', '{"extra":1,"payload"')],
    ['a missing member', () => JSON.stringify({ payload: envelope.payload, kid: envelope.kid, token: envelope.token })],
    ['a wrong type', () => body.replace(`"v":1`, `"v":"1"`)],
    ['an unknown payload member', () => envelopeBody({ ...envelope, payload: { ...envelope.payload, extra: 1 } as never })],
    ['an invalid cref', () => envelopeBody({ ...envelope, payload: { ...envelope.payload, crefs: { github: 'cref://tenant_abc/../github_token' } } })],
    ['an upper-case scheme', () => envelopeBody({ ...envelope, payload: { ...envelope.payload, crefs: { github: 'CREF://tenant_abc/github_token' } } })],
    ['a percent-encoded cref', () => envelopeBody({ ...envelope, payload: { ...envelope.payload, crefs: { github: 'cref://tenant_abc/github%5Ftoken' } } })],
    ['duplicate keys in the payload', () => body.replace('"v":1', '"v":1,"v":1')],
    ['duplicate keys at the top', () => body.replace('{"payload"', `{"kid":${JSON.stringify(envelope.kid)},"payload"`)],
    ['a non-canonical payload (whitespace)', () => body.replace(canonicalJson(envelope.payload), JSON.stringify(envelope.payload, null, 1))],
    ['a non-canonical payload (key order)', () => body.replace(canonicalJson(envelope.payload), JSON.stringify(Object.fromEntries(Object.entries(envelope.payload).reverse())))],
    ['a non-canonical payload (escaped character)', () => body.replace('"tenant":"tenant_abc"', '"tenant":"tenant\\u005fabc"')],
    ['a fractional number', () => body.replace(`"v":1`, `"v":1.0`)],
    ['a short nonce', () => envelopeBody({ ...envelope, payload: { ...envelope.payload, nonce: 'abc' } })],
    ['deep nesting', () => `${'['.repeat(100)}${']'.repeat(100)}`],
    ['an empty body', () => ''],
  ];
  for (const [name, make] of shapeCases) {
    it(`refuses ${name} as malformed at shape`, async () => {
      await refused(gw, executor.resolveRaw(make()), 'malformed', 'shape');
    });
  }

  it('refuses an oversized body with 413 at shape', async () => {
    const big = body.replace('"v":1', `"v":1,"pad":"${'x'.repeat(70_000)}"`);
    await refused(gw, executor.resolveRaw(big), 'payload_too_large', 'shape');
  });

  it('refuses a body that is not JSON with 415', async () => {
    const ca = readFileSync(path.join(gw.dir, 'pki', 'ca.crt'));
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(`${gw.url}/v1/resolve`, {
        method: 'POST',
        ca,
        cert: readFileSync(path.join(gw.dir, 'clients', 'executor.crt')),
        key: readFileSync(path.join(gw.dir, 'clients', 'executor.key')),
        headers: { 'content-type': 'text/plain' },
      }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(status, 415);
  });

  it('refuses a tampered HMAC tag at hmac', async () => {
    const sig = `${envelope.sig.slice(0, -2)}${envelope.sig.endsWith('AA') ? 'AB' : 'AA'}`;
    await refused(gw, executor.resolveRaw(envelopeBody({ ...envelope, sig })), 'unauthenticated', 'hmac');
  });

  it('refuses an unknown HMAC kid at hmac', async () => {
    await refused(gw, executor.resolveRaw(envelopeBody({ ...envelope, kid: 'k-unknown' })), 'unauthenticated', 'hmac');
  });

  it('refuses alg none at token', async () => {
    await refused(gw, executor.resolveRaw(withToken(unsignedToken(claimsFor(envelope.payload, nowSeconds()), tokenKid(envelope.token)))), 'malformed', 'shape');
  });

  it('refuses alg none even with a placeholder signature at token', async () => {
    const token = `${unsignedToken(claimsFor(envelope.payload, nowSeconds()), tokenKid(envelope.token))}AAAA`;
    await refused(gw, executor.resolveRaw(withToken(token)), 'unauthenticated', 'token');
  });

  it('refuses HS256 signed with the public key at token', async () => {
    const token = await hs256WithPublicKey(gw.dir, claimsFor(envelope.payload, nowSeconds()), tokenKid(envelope.token));
    await refused(gw, executor.resolveRaw(withToken(token)), 'unauthenticated', 'token');
  });

  it('refuses an unknown kid at token', async () => {
    const token = await signWithGatewayKey(gw.dir, claimsFor(envelope.payload, nowSeconds()), { kid: 'not-a-key' });
    await refused(gw, executor.resolveRaw(withToken(token)), 'unauthenticated', 'token');
  });

  const hostileHeaders: Array<[string, Record<string, unknown>]> = [
    ['jku', { jku: 'https://attacker.invalid/keys' }],
    ['x5u', { x5u: 'https://attacker.invalid/cert' }],
    ['jwk', { jwk: { kty: 'oct', k: 'AA' } }],
    ['x5c', { x5c: ['AAAA'] }],
    ['crit', { crit: ['exp'] }],
    ['b64 (unencoded payload)', { b64: false, crit: ['b64'] }],
    ['cty JWT (nested token)', { cty: 'JWT' }],
  ];
  for (const [name, header] of hostileHeaders) {
    it(`refuses a validly signed token carrying a ${name} header at token`, async () => {
      const token = await signRaw(gw.dir, header, claimsFor(envelope.payload, nowSeconds()));
      await refused(gw, executor.resolveRaw(withToken(token)), 'unauthenticated', 'token');
    });
  }

  it('refuses a token for another audience at token', async () => {
    const token = await signWithGatewayKey(gw.dir, claimsFor(envelope.payload, nowSeconds(), { aud: 'someone-else' }));
    await refused(gw, executor.resolveRaw(withToken(token)), 'unauthenticated', 'token');
  });

  it('refuses a token from another issuer at token', async () => {
    const token = await signWithGatewayKey(gw.dir, claimsFor(envelope.payload, nowSeconds(), { iss: 'elsewhere' }));
    await refused(gw, executor.resolveRaw(withToken(token)), 'unauthenticated', 'token');
  });

  it('refuses a token issued beyond the clock skew in the future at token', async () => {
    const future = nowSeconds() + 120;
    const token = await signWithGatewayKey(gw.dir, claimsFor(envelope.payload, future));
    await refused(gw, executor.resolveRaw(withToken(token)), 'unauthenticated', 'token');
  });

  it('refuses a token living longer than the maximum at token', async () => {
    const token = await signWithGatewayKey(gw.dir, claimsFor(envelope.payload, nowSeconds(), { exp: nowSeconds() + 3600 }));
    await refused(gw, executor.resolveRaw(withToken(token)), 'unauthenticated', 'token');
  });

  it('refuses a token whose jti is not the payload nonce at binding', async () => {
    const token = await signWithGatewayKey(gw.dir, claimsFor(envelope.payload, nowSeconds(), { jti: 'x'.repeat(32) }));
    await refused(gw, executor.resolveRaw(withToken(token)), 'forbidden', 'binding');
  });

  it('answers an unknown route with a typed 404 and an audit line', async () => {
    let requestId: string | undefined;
    await assert.rejects(executor.get('/v1/nope'), (err: { code: string; requestId?: string }) => {
      requestId = err.requestId;
      return err.code === 'not_found';
    });
    const line = await gw.auditFor(requestId!);
    assert.equal(line.outcome, 'denied');
    assert.equal(line.code, 'not_found');
  });
});
