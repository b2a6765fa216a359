/**
 * The envelope's wire form (issue 17): the payload's bytes must be RFC 8785 canonical, whitespace between the
 * envelope's own members is not signed and is accepted, and a pretty-printed payload is refused at shape. What
 * `crefgate job issue` writes (envelopeBody) passes the shape step as it is.
 */
import assert from 'node:assert/strict';
import { checkShape } from '../../src/chain/check_shape.ts';
import type { ResolveState } from '../../src/chain/context.ts';
import { envelopeBody, type Envelope } from '../../src/client/index.ts';
import { canonicalJson } from '../../src/envelope/canonical.ts';
import { GatewayError } from '../../src/errors.ts';

const envelope: Envelope = {
  payload: {
    v: 1, job_id: 'job_abcdefgh', tenant: 'tenant_abc', executor: 'exec-01',
    crefs: { gh: 'cref://tenant_abc/github_token', db: 'cref://tenant_abc/db' },
    issued_at: 1_763_870_000, expires_at: 1_763_870_600, nonce: 'A'.repeat(22),
  },
  kid: 'v0-abc', sig: 'B'.repeat(43), token: 'aaa.bbb.ccc',
};

const shape = (body: string): ResolveState => {
  const state = { rawBody: body } as ResolveState;
  checkShape(state);
  return state;
};

describe('envelope wire form at the shape step', () => {
  it('accepts what crefgate job issue writes, as it is', () => {
    const state = shape(`${envelopeBody(envelope)}\n`);
    assert.equal(state.canonicalPayload, canonicalJson(envelope.payload));
  });

  it('accepts whitespace between the envelope members, the payload still canonical', () => {
    const body = `{\n  "payload": ${canonicalJson(envelope.payload)},\n  "kid": "v0-abc",\n  "sig": "${envelope.sig}",\n  "token": "aaa.bbb.ccc"\n}\n`;
    assert.equal(shape(body).canonicalPayload, canonicalJson(envelope.payload));
  });

  it('refuses a pretty-printed payload (what the CLI used to write) at shape, malformed', () => {
    assert.throws(() => shape(JSON.stringify(envelope, null, 2)), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, 'malformed');
      assert.equal(err.step, 'shape');
      assert.match(err.reason, /RFC 8785 canonical form/);
      return true;
    });
  });

  it('refuses a payload whose members are reordered, even compact', () => {
    const { crefs, ...rest } = envelope.payload;
    const reordered = JSON.stringify({ ...rest, crefs });
    const body = `{"payload":${reordered},"kid":"v0-abc","sig":"${envelope.sig}","token":"aaa.bbb.ccc"}`;
    assert.throws(() => shape(body), (err: unknown) => err instanceof GatewayError && err.step === 'shape');
  });
});
