import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isCrefPattern, matchesPattern, parseCref } from '../../src/envelope/cref.ts';

const tenantArb = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/);
const segmentArb = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/);

describe('cref grammar', () => {
  it('accepts canonical crefs and splits tenant and segments', () => {
    const cref = parseCref('cref://tenant_abc/ci/github_token');
    assert.deepEqual(cref, { raw: 'cref://tenant_abc/ci/github_token', tenant: 'tenant_abc', segments: ['ci', 'github_token'] });
  });

  for (const bad of [
    'CREF://tenant_abc/x', 'cref://Tenant/x', 'cref://tenant_abc', 'cref://tenant_abc/', 'cref://tenant_abc//x',
    'cref://tenant_abc/./x', 'cref://tenant_abc/../x', 'cref://tenant_abc/a%2Fb', 'cref://tenant_abc/a b',
    'cref://tenant_abc/x\n', ' cref://tenant_abc/x', 'cref:/tenant_abc/x', 'cref://tenant_abc/x?y', 'cref://tenant_abc/x#f',
    'cref://tenant_abc/-x', 'cref://tenant_abc/ä', `cref://t/${'a'.repeat(300)}`, 'cref://t/' + Array(20).fill('a').join('/'),
  ]) {
    it(`rejects ${JSON.stringify(bad.slice(0, 40))}`, () => assert.equal(parseCref(bad), undefined));
  }

  it('round-trips every generated canonical cref exactly (property)', () => {
    fc.assert(
      fc.property(tenantArb, fc.array(segmentArb, { minLength: 1, maxLength: 8 }), (tenant, segments) => {
        const raw = `cref://${tenant}/${segments.join('/')}`;
        const parsed = parseCref(raw);
        assert.ok(parsed);
        assert.equal(`cref://${parsed.tenant}/${parsed.segments.join('/')}`, raw);
      }),
    );
  });

  it('never accepts a string that differs from its own re-serialisation (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const input = `cref://${s}`;
        const parsed = parseCref(input);
        if (parsed !== undefined) assert.equal(`cref://${parsed.tenant}/${parsed.segments.join('/')}`, input);
      }),
      { numRuns: 2000 },
    );
  });

  it('matches patterns with * (one segment) and ** (the rest), never across tenants', () => {
    const cref = parseCref('cref://tenant_abc/ci/github_token')!;
    assert.ok(matchesPattern('cref://tenant_abc/ci/*', cref));
    assert.ok(matchesPattern('cref://tenant_abc/**', cref));
    assert.ok(matchesPattern('cref://tenant_abc/ci/github_token', cref));
    assert.ok(!matchesPattern('cref://tenant_abc/*', cref));
    assert.ok(!matchesPattern('cref://tenant_xyz/**', cref));
    assert.ok(!matchesPattern('cref://tenant_abc/ci/github_token/**', cref));
    assert.ok(isCrefPattern('cref://tenant_abc/ci/*'));
    assert.ok(!isCrefPattern('cref://*/x'));
    assert.ok(!isCrefPattern('cref://t/**/x'));
  });
});
