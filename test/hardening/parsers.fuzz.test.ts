/**
 * Property-based fuzzing of everything that reads untrusted bytes before the crypto: the strict JSON parser, the
 * cref grammar, the envelope schema, canonicalisation and the whole shape step. No input crashes them: each
 * either succeeds or fails with its own typed error, and a shape failure is always a 4xx.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ResolveState } from '../../src/chain/context.ts';
import { checkShape } from '../../src/chain/check_shape.ts';
import { canonicalJson } from '../../src/envelope/canonical.ts';
import { parseCref } from '../../src/envelope/cref.ts';
import { envelopeSchema } from '../../src/envelope/schema.ts';
import { GatewayError } from '../../src/errors.ts';
import { StrictJsonError, parseStrictJson } from '../../src/envelope/strict_json.ts';

const RUNS = { numRuns: 2000 };
/** Strings built from JSON's own punctuation, so the parser gets deep into its grammar before failing. */
const jsonish = fc.array(fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '\\', 'u', '0', '1', '-', '.', 'e', 'E', '+', 'true', 'false', 'null', ' ', '\n', 'a', '\u0000', '\ud800', 'é', '"payload"', '__proto__'), { maxLength: 60 }).map((parts) => parts.join(''));
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), jsonish, fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1))));

describe('fuzz: strict JSON parser', () => {
  it('returns a value or throws StrictJsonError, never anything else (property)', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        try {
          parseStrictJson(text, ['payload']);
        } catch (err) {
          assert.ok(err instanceof StrictJsonError, `threw ${String(err)}`);
        }
      }),
      RUNS,
    );
  });

  it('agrees with JSON.parse on valid JSON without duplicate keys (property)', () => {
    fc.assert(fc.property(fc.json({ depthSize: 'small' }), (text) => assert.deepStrictEqual(parseStrictJson(text).value, JSON.parse(text))), RUNS);
  });

  it('keeps a __proto__ member a plain member', () => {
    const { value } = parseStrictJson('{"__proto__":{"polluted":true}}');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.ok(Object.hasOwn(value as object, '__proto__'));
  });

  it('refuses nesting bombs without exhausting the stack', () => {
    for (const text of ['['.repeat(100_000), '{"a":'.repeat(50_000), `${'['.repeat(40)}${']'.repeat(40)}`]) {
      assert.throws(() => parseStrictJson(text), StrictJsonError);
    }
  });
});

describe('fuzz: cref grammar', () => {
  it('returns a Cref or undefined for any input, never throws (property)', () => {
    const crefish = fc.array(fc.constantFrom('cref://', 'tenant_abc', '/', '.', '..', '%2F', '*', 'a', 'Z', '-', '_', '~', ' ', '\u0000', '\u00e9', '//', '?', '#'), { maxLength: 20 }).map((p) => p.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.anything(), crefish, fc.string({ unit: 'binary' })), (input) => {
        const cref = parseCref(input);
        if (cref !== undefined) assert.equal(typeof input, 'string');
      }),
      RUNS,
    );
  });
});

describe('fuzz: envelope schema', () => {
  it('never throws, whatever the value (property)', () => {
    fc.assert(fc.property(fc.anything({ withObjectString: true, withNullPrototype: true }), (value) => void envelopeSchema.safeParse(value)), RUNS);
  });
});

describe('fuzz: canonicalisation', () => {
  it('is idempotent and value-preserving on JSON values (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        assert.deepStrictEqual(JSON.parse(text), JSON.parse(JSON.stringify(value)));
        assert.equal(canonicalJson(JSON.parse(text)), text);
      }),
      RUNS,
    );
  });

  it('returns a string or throws TypeError for any value (property)', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withBoxedValues: true, withMap: true, withSet: true }), fc.constantFrom(NaN, Infinity, '\ud800'), (value, bad) => {
        for (const v of [value, { v: bad }, [value, bad]]) {
          try {
            assert.equal(typeof canonicalJson(v), 'string');
          } catch (err) {
            assert.ok(err instanceof TypeError, `threw ${String(err)}`);
          }
        }
      }),
      RUNS,
    );
  });
});

describe('fuzz: the shape step', () => {
  it('refuses any malformed body with a 4xx GatewayError at shape (property)', () => {
    fc.assert(
      fc.property(anyText, (rawBody) => {
        const state = { requestId: 'req_x', now: Date.now(), identity: {} as never, rawBody } as ResolveState;
        try {
          checkShape(state);
        } catch (err) {
          assert.ok(err instanceof GatewayError, `threw ${String(err)}`);
          assert.ok(err.status >= 400 && err.status < 500, `status ${err.status}`);
          assert.equal(err.step, 'shape');
        }
      }),
      RUNS,
    );
  });
});
