/**
 * Arbitrary bytes and hostile tokens at a live gateway's /v1/resolve over mTLS: every answer is a 4xx with a
 * typed body `{error: {code, message, request_id}}`, the process stays up, and a legitimate envelope issued
 * before the barrage still resolves after it (nothing burned its nonce). Bounded: a fixed number of requests.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import fc from 'fast-check';
import { envelopeBody, type Envelope } from '../../src/client/index.ts';
import { claimsFor, signRaw, signWithGatewayKey, tokenKid } from '../helpers/forge.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

const CODES = new Set(['unauthenticated', 'forbidden', 'replayed', 'expired', 'malformed', 'payload_too_large', 'unsupported_media_type', 'not_found']);

describe('live fuzz of /v1/resolve', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  let agent: https.Agent;
  let envelope: Envelope;

  const post = (body: Buffer | string, contentType = 'application/json') =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL('/v1/resolve', gw.url);
      const req = https.request(url, { method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });

  const assertTypedRefusal = (answer: { status: number; body: string }, what: string) => {
    assert.ok(answer.status >= 400 && answer.status < 500, `${what}: status ${answer.status} ${answer.body.slice(0, 120)}`);
    const parsed = JSON.parse(answer.body) as { error?: { code?: string; request_id?: string; message?: string } };
    assert.ok(parsed.error !== undefined && CODES.has(parsed.error.code!), `${what}: body ${answer.body.slice(0, 120)}`);
    assert.ok(parsed.error.request_id?.startsWith('req_'));
    assert.equal(typeof parsed.error.message, 'string');
  };

  before(async () => {
    gw = await startGateway();
    agent = new https.Agent({
      keepAlive: true,
      maxSockets: 4,
      ca: readFileSync(path.join(gw.dir, 'pki', 'ca.crt')),
      cert: readFileSync(path.join(gw.dir, 'clients', 'executor.crt')),
      key: readFileSync(path.join(gw.dir, 'clients', 'executor.key')),
    });
    envelope = await gw.client('coordinator').issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { github: 'cref://tenant_abc/github_token' }, ttl: 600 });
  });
  after(async () => {
    const result = await gw.client('executor').resolve(envelope, { hmacSecrets: gw.hmac });
    assert.ok(result.secrets.github, 'the legitimate envelope survived the barrage');
    agent.destroy();
    await gw.close();
  });

  it('answers arbitrary bytes with a typed 4xx (property, 300 requests)', async () => {
    // Mutants of a sacrificial envelope: one that only adds whitespace between top-level members is the same
    // envelope and may resolve once; everything else is refused.
    const victim = await gw.client('coordinator').issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { github: 'cref://tenant_abc/github_token' }, ttl: 600 });
    const body = envelopeBody(victim);
    const sameEnvelope = (text: string) => {
      try {
        return JSON.stringify(JSON.parse(text)) === JSON.stringify(JSON.parse(body));
      } catch {
        return false;
      }
    };
    const mutated = fc.tuple(fc.nat(body.length - 1), fc.nat(40), fc.string({ unit: 'binary', maxLength: 8 })).map(([at, cut, insert]) => body.slice(0, at) + insert + body.slice(at + cut));
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)), mutated, fc.json(), fc.string({ unit: 'binary', maxLength: 300 }));
    await fc.assert(
      fc.asyncProperty(bytes, async (b) => {
        const answer = await post(b);
        if (answer.status === 200 && typeof b === 'string' && sameEnvelope(b)) return;
        assertTypedRefusal(answer, `body ${JSON.stringify(String(b).slice(0, 60))}`);
      }),
      { numRuns: 300 },
    );
  });

  it('answers other content types and oversized bodies with a typed 4xx', async () => {
    assertTypedRefusal(await post('{}', 'text/plain'), 'text/plain');
    assertTypedRefusal(await post('{}', 'application/x-www-form-urlencoded'), 'form');
    assertTypedRefusal(await post(Buffer.alloc(70_000, 0x41)), 'oversized');
  });

  describe('JWT attack corpus', () => {
    const now = () => Math.floor(gw.clock.now() / 1000);
    const corpus: Array<[string, () => Promise<string>]> = [
      ['kid path traversal', async () => signRaw(gw.dir, { kid: '../../../../etc/passwd' }, claimsFor(envelope.payload, now()))],
      ['kid SQL injection', async () => signRaw(gw.dir, { kid: "' OR '1'='1' --" }, claimsFor(envelope.payload, now()))],
      ['kid with NUL and newline', async () => signRaw(gw.dir, { kid: 'a\u0000b\nc' }, claimsFor(envelope.payload, now()))],
      ['kid as an object', async () => signRaw(gw.dir, { kid: { $ne: null } }, claimsFor(envelope.payload, now()))],
      ['x5u header', async () => signRaw(gw.dir, { x5u: 'https://127.0.0.1/evil.pem' }, claimsFor(envelope.payload, now()))],
      ['embedded jwk header', async () => signRaw(gw.dir, { jwk: { kty: 'oct', k: 'AAAA' } }, claimsFor(envelope.payload, now()))],
      ['crit header', async () => signRaw(gw.dir, { crit: ['exp'] }, claimsFor(envelope.payload, now()))],
      ['unencoded payload (b64: false)', async () => signRaw(gw.dir, { b64: false, crit: ['b64'] }, claimsFor(envelope.payload, now()))],
      ['a nested JWT as the payload', async () => {
        const inner = envelope.token;
        const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: tokenKid(inner), typ: 'crefgate-request+jwt', cty: 'JWT' })).toString('base64url');
        return `${header}.${Buffer.from(inner).toString('base64url')}.${inner.split('.')[2]}`;
      }],
      ['a nested JWT signed as a string claim set', async () => signRaw(gw.dir, {}, envelope.token as unknown as Record<string, unknown>)],
      ['an oversized token (60 kB claim)', async () => signWithGatewayKey(gw.dir, claimsFor(envelope.payload, now(), { pad: 'x'.repeat(60_000) }))],
      ['a token for another audience (array)', async () => signWithGatewayKey(gw.dir, claimsFor(envelope.payload, now(), { aud: ['someone-else'] }))],
      ['a token with four segments', async () => `${envelope.token}.AAAA`],
      ['a token with padding in the signature', async () => `${envelope.token}==`],
      ['a token with the signature of another token', async () => `${envelope.token.split('.').slice(0, 2).join('.')}.${'A'.repeat(342)}`],
    ];
    for (const [name, make] of corpus) {
      it(`refuses ${name} with a typed 4xx`, async () => {
        const answer = await post(envelopeBody({ ...envelope, token: await make() }));
        assertTypedRefusal(answer, name);
      });
    }
  });
});
