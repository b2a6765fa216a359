import assert from 'node:assert/strict';
import fc from 'fast-check';
import { envelopeSchema } from '../../src/envelope/schema.ts';

// The shape step checks that the payload bytes are the canonical form of the *parsed* payload and then uses the
// schema's output for every later step. That is sound only while the schema returns its input unchanged (strict
// objects, no defaults, transforms or stripping): this test fails the day it does not.
describe('envelope schema', () => {
  const id = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/);
  const envelope = fc.record({
    payload: fc.record({
      v: fc.constant(1),
      job_id: fc.stringMatching(/^[A-Za-z0-9_-]{8,30}$/),
      tenant: id,
      executor: id,
      crefs: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), fc.constantFrom('cref://tenant_abc/github_token', 'cref://t1/db/password'), { minKeys: 1, maxKeys: 5 }),
      issued_at: fc.integer({ min: 0, max: 2 ** 39 }),
      expires_at: fc.integer({ min: 2 ** 39, max: 2 ** 40 }),
      nonce: fc.stringMatching(/^[A-Za-z0-9_-]{22,40}$/),
    }),
    kid: fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/),
    sig: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    token: fc.constant('aGVhZGVy.Y2xhaW1z.c2ln'),
  });

  it('returns a valid envelope exactly as given, member order included (property)', () => {
    fc.assert(
      fc.property(envelope, (generated) => {
        const input = JSON.parse(JSON.stringify(generated)) as unknown; // plain objects, as a parsed body is
        const output = envelopeSchema.parse(input);
        assert.deepEqual(output, input);
        assert.equal(JSON.stringify(output), JSON.stringify(input));
      }),
      { numRuns: 300 },
    );
  });
});
