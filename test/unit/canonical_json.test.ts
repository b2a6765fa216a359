import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AuditEventInput } from '../../src/audit/contract.ts';
import { LINE_VERSION, prepareEvent, sequenceLine } from '../../src/audit/trail/event_line.ts';
import { AuditHasher } from '../../src/audit/trail/hmac_keys.ts';
import { canonicalJson } from '../../src/envelope/canonical.ts';
import { parseStrictJson } from '../../src/envelope/strict_json.ts';

// JSON values JCS can represent: finite numbers, well-formed strings.
const jsonValue = fc.jsonValue({ maxDepth: 4 }).filter((v) => {
  try {
    canonicalJson(v);
    return true;
  } catch {
    return false;
  }
});

describe('RFC 8785 canonical JSON', () => {
  it('matches the RFC 8785 ordering and number examples', () => {
    assert.equal(canonicalJson({ b: 1, a: [true, null, 'x'], '€': 1, '\r': 2, '1': 3 }), '{"\\r":2,"1":3,"a":[true,null,"x"],"b":1,"€":1}');
    assert.equal(canonicalJson([1e21, 1e-7, 0.1 + 0.2, -0, 100]), '[1e+21,1e-7,0.30000000000000004,0,100]');
    assert.equal(canonicalJson('\u2028\u00e9\u0007'), '"\u2028\u00e9\\u0007"');
  });

  it('refuses values without a canonical form (NaN, Infinity, lone surrogates)', () => {
    for (const bad of [Number.NaN, Infinity, '\ud800']) assert.throws(() => canonicalJson(bad), TypeError);
  });

  it('is a fixed point: canonical(parse(canonical(v))) === canonical(v) (property)', () => {
    fc.assert(fc.property(jsonValue, (v) => {
      const text = canonicalJson(v);
      assert.equal(canonicalJson(JSON.parse(text)), text);
    }), { numRuns: 500 });
  });

  it('the strict parser reads canonical text back to the same value (property)', () => {
    fc.assert(fc.property(jsonValue, (v) => {
      const text = canonicalJson(v);
      assert.deepEqual(parseStrictJson(text).value, JSON.parse(text));
    }), { numRuns: 500 });
  });

  it('key order and whitespace never change the canonical form (property)', () => {
    fc.assert(fc.property(fc.dictionary(fc.string({ maxLength: 6 }), fc.integer()), (obj) => {
      const reversed = Object.fromEntries(Object.entries(obj).reverse());
      assert.equal(canonicalJson(reversed), canonicalJson(obj));
      assert.equal(canonicalJson(JSON.parse(JSON.stringify(obj, null, 2))), canonicalJson(obj));
    }));
  });
});

describe('strict JSON body parser', () => {
  it('agrees with JSON.parse on any valid JSON without duplicate keys (property)', () => {
    fc.assert(fc.property(fc.json({ maxDepth: 5 }), (text) => {
      assert.deepEqual(parseStrictJson(text).value, JSON.parse(text));
    }), { numRuns: 1000 });
  });

  it('never throws anything but StrictJsonError on arbitrary input (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => {
      try {
        parseStrictJson(text);
      } catch (err) {
        assert.equal((err as Error).name, 'StrictJsonError');
      }
    }), { numRuns: 3000 });
  });

  it('refuses duplicate keys at any depth, and keeps __proto__ a plain member', () => {
    assert.throws(() => parseStrictJson('{"a":1,"a":1}'), /duplicate key/);
    assert.throws(() => parseStrictJson('{"x":{"b":[{"c":1,"c":2}]}}'), /duplicate key/);
    assert.throws(() => parseStrictJson('{"a":1,"\\u0061":2}'), /duplicate key/, 'escapes cannot hide a duplicate');
    const value = parseStrictJson('{"__proto__":{"polluted":true}}').value as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('returns the exact source text of captured top-level members', () => {
    const { spans } = parseStrictJson('{ "payload" : {"b":1, "a":2} , "kid":"k"}', ['payload']);
    assert.equal(spans.payload, '{"b":1, "a":2}');
  });

  it('refuses excessive nesting, control characters, bad escapes and trailing data', () => {
    for (const bad of [`${'['.repeat(40)}${']'.repeat(40)}`, '"a\u0001"', '"\\x41"', '{} {}', '01', '1.', '+1', "{'a':1}"]) {
      assert.throws(() => parseStrictJson(bad), { name: 'StrictJsonError' }, bad);
    }
  });
});

describe('isCanonicalJsonText', () => {
  it('agrees with full canonicalisation on generated documents and their variants (property)', async () => {
    const { isCanonicalJsonText } = await import('../../src/envelope/canonical.ts');
    fc.assert(fc.property(jsonValue, fc.nat(3), (v, variant) => {
      const canonical = canonicalJson(v);
      const texts = [canonical, JSON.stringify(v), JSON.stringify(v, null, variant + 1), JSON.stringify(typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v)];
      for (const text of texts) assert.equal(isCanonicalJsonText(text, JSON.parse(text)), text === canonicalJson(JSON.parse(text)), text);
    }), { numRuns: 1000 });
  });

  it('handles integer-like keys, -0 and lone surrogates exactly', async () => {
    const { isCanonicalJsonText } = await import('../../src/envelope/canonical.ts');
    const check = (text: string) => isCanonicalJsonText(text, JSON.parse(text));
    assert.equal(check('{"10":1,"9":2}'), true, 'code-unit order, although JavaScript reorders these keys');
    assert.equal(check('{"9":2,"10":1}'), false);
    assert.equal(check('{"a":-0}'), false);
    assert.equal(check('"\\ud800"'), false);
    assert.equal(check('{"a":1,"b":[{"c":1,"d":"\\u0007"}]}'), true);
    assert.equal(check('{"b":1,"a":1}'), false);
  });
});

/** canonicalJson gives what the reference gives, and throws a TypeError wherever the reference refuses the value. */
function agreesWith(reference: (v: unknown) => string | undefined, v: unknown): void {
  let expected: string | undefined;
  try {
    expected = reference(v);
  } catch {
    expected = undefined;
  }
  if (expected === undefined) assert.throws(() => canonicalJson(v), TypeError);
  else assert.equal(canonicalJson(v), expected);
}

describe('canonicalJson against the reference implementation', () => {
  it('produces exactly what the canonicalize package produces, integer-like keys included (property)', async () => {
    const { default: reference } = await import('canonicalize');
    const withIntegerKeys = fc.dictionary(fc.oneof(fc.string({ maxLength: 4 }), fc.nat(50).map(String)), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 });
    fc.assert(fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.string({ unit: "binary", maxLength: 6 }), withIntegerKeys), (v) => agreesWith(reference, v)), { numRuns: 3000 });
  });

  it('agrees with it on values already in canonical order (the whole-stringify fast path), and on their edge cases', async () => {
    const { default: reference } = await import('canonicalize');
    const sortDeep = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(sortDeep);
      if (typeof v !== 'object' || v === null) return v;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) out[key] = sortDeep((v as Record<string, unknown>)[key]);
      return out;
    };
    const leaf = fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(-0), fc.boolean(), fc.constant(null));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 4 }), tie('node'), { maxKeys: 5 })),
    })).node;
    fc.assert(fc.property(value.map(sortDeep), (v) => agreesWith(reference, v)), { numRuns: 3000 });
    // Edge cases the fast path must hand to the walk (or reject alike): non-finite numbers, lone surrogates, toJSON.
    assert.throws(() => canonicalJson({ a: [1, Number.NaN] }), TypeError);
    assert.throws(() => canonicalJson({ a: { b: Number.POSITIVE_INFINITY } }), TypeError);
    assert.throws(() => canonicalJson({ a: { b: '\ud800' } }), TypeError);
    assert.equal(canonicalJson({ a: -0, b: [undefined, 1], c: undefined }), '{"a":0,"b":[null,1]}');
    assert.equal(canonicalJson({ a: new Date(0) }), '{"a":"1970-01-01T00:00:00.000Z"}');
  });
});

describe('audit line sequencing', () => {
  const hasher = new AuditHasher(Buffer.alloc(32, 3));
  const detail = fc.dictionary(fc.string({ maxLength: 8 }), jsonValue, { maxKeys: 5 });
  const input = fc.record(
    {
      action: fc.constantFrom('resolve', 'job.issue', 'lease.renew'),
      outcome: fc.constantFrom('granted', 'denied', 'error'),
      actor: fc.record({ id: fc.string({ maxLength: 10 }), role: fc.constantFrom('executor', 'coordinator') }),
      tenant: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
      crefs: fc.option(fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }), { nil: undefined }),
      sensitive: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 10 }), { maxKeys: 2 }), { nil: undefined }),
      detail: fc.option(detail, { nil: undefined }),
    },
    { requiredKeys: ['action', 'outcome', 'actor'] },
  );

  it('merging the chain fields into the prepared members equals canonicalising the whole line (property)', () => {
    fc.assert(
      fc.property(input, fc.string({ maxLength: 10 }), fc.nat(), fc.stringMatching(/^[0-9a-f]{64}$/), (event, origin, seq, prev) => {
        const prepared = prepareEvent(event as unknown as AuditEventInput, hasher, 1_700_000_000_000);
        const whole = Object.fromEntries(prepared.members.map(([name, text]) => [name, JSON.parse(text.slice(canonicalJson(name).length + 1))]));
        const line = sequenceLine(prepared, origin, seq, prev);
        assert.equal(line, canonicalJson({ ...whole, v: LINE_VERSION, origin, seq, prev }));
        assert.equal((JSON.parse(line) as { event_id: string }).event_id, prepared.event_id);
      }),
      { numRuns: 300 },
    );
  });

  it('an event member named like a chain field gives way to the chain', () => {
    const prepared = prepareEvent({ action: 'resolve', outcome: 'granted', actor: { id: 'a', role: 'executor' }, seq: 99 } as unknown as AuditEventInput, hasher, 0);
    assert.equal((JSON.parse(sequenceLine(prepared, 'o', 7, '0'.repeat(64))) as { seq: number }).seq, 7);
  });
});
