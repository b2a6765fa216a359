/**
 * Step 6 on its own, for what an end-to-end run cannot reach with one config: a route tightened after a job was
 * issued (its requirement applies at resolve too), and the binding rules' matching of exact values and prefixes.
 */
import assert from 'node:assert/strict';
import { checkBinding } from '../../src/chain/check_binding.ts';
import type { ResolveState } from '../../src/chain/context.ts';
import { unmetBinding } from '../../src/envelope/bindings.ts';
import { canonicalJson } from '../../src/envelope/canonical.ts';
import { payloadDigest } from '../../src/envelope/payload_digest.ts';
import type { JobPayload } from '../../src/envelope/schema.ts';
import type { GatewayError } from '../../src/errors.ts';
import { CrefRouter } from '../../src/routing/router.ts';
import type { ExecutorRecord } from '../../src/state/contract.ts';

const now = 1_800_000_000_000;

function stateFor(bindings: JobPayload['bindings'], claims: Record<string, string>): ResolveState {
  const payload: JobPayload = {
    v: 1, job_id: 'job_0123456789abcdef', tenant: 'tenant_abc', executor: 'exec-gha', crefs: { npm: 'cref://tenant_abc/release/npm_token' },
    issued_at: now / 1000 - 10, expires_at: now / 1000 + 600, nonce: 'n'.repeat(22), ...(bindings === undefined ? {} : { bindings }),
  };
  const canonical = canonicalJson(payload);
  return {
    requestId: 'req_test', now, rawBody: '',
    identity: { role: 'executor', id: 'exec-gha', tenant: 'tenant_abc', tenants: [], binding: 'oidc:x', fingerprint: 'oidc:sha256:x', auth: 'oidc', claims },
    envelope: { payload, kid: 'k', sig: 's'.repeat(43), token: 'a.b.c' },
    canonicalPayload: canonical,
    executor: { id: 'exec-gha', tenant: 'tenant_abc' } as ExecutorRecord,
    claims: { iss: 'i', aud: 'a', sub: 'exec-gha', jti: payload.nonce, iat: 0, nbf: 0, exp: 0, tenant: 'tenant_abc', job_id: payload.job_id, pld: payloadDigest(canonical) },
  };
}

describe('binding step: route requirements at resolve and binding patterns', () => {
  const tightened = new CrefRouter([
    { cref: 'cref://{tenant}/release/{name}', mount: 'local', path: 'tenants/{tenant}/{name}', dynamic: false, require_bindings: ['sha'], binding_patterns: { ref: ['refs/heads/main', 'refs/tags/v*'] } },
  ]);
  const sha = 'a'.repeat(40);

  it('refuses at binding a job issued before its route required bindings, naming the binding', () => {
    const state = stateFor(undefined, {});
    assert.throws(() => checkBinding(state, tightened), (err: GatewayError) => err.code === 'forbidden' && err.step === 'binding' && /requires ref binding/.test(err.reason));
    assert.deepEqual(state.auditDetail, { binding: 'ref', route_requirement: 'missing' });
    const wrongRef = stateFor({ sha, ref: 'refs/heads/dev' }, { sha, ref: 'refs/heads/dev' });
    assert.throws(() => checkBinding(wrongRef, tightened), (err: GatewayError) => err.step === 'binding' && /does not accept the job's ref/.test(err.reason));
  });

  it('passes a job whose bindings meet the route and equal the claims; unbound jobs on unrestricted routes pass', () => {
    checkBinding(stateFor({ sha, ref: 'refs/tags/v2.0.0' }, { sha, ref: 'refs/tags/v2.0.0' }), tightened);
    checkBinding(stateFor(undefined, {}), new CrefRouter([{ cref: 'cref://{tenant}/{name*}', mount: 'local', path: 'x/{name}', dynamic: false }]));
  });

  it('compares claims exactly: case, whitespace and prefixes differ', () => {
    for (const claim of [sha.toUpperCase(), ` ${sha}`, sha.slice(0, 39)]) {
      const state = stateFor({ sha }, { sha: claim });
      assert.throws(() => checkBinding(state), (err: GatewayError) => err.step === 'binding');
      assert.equal(state.auditDetail?.binding, 'sha');
    }
  });

  it('matches patterns: exact values and a single trailing * prefix only', () => {
    const rule = { binding_patterns: { ref: ['refs/heads/main', 'refs/tags/v*'] } };
    assert.equal(unmetBinding(rule, { ref: 'refs/heads/main' }), undefined);
    assert.equal(unmetBinding(rule, { ref: 'refs/tags/v1' }), undefined);
    assert.deepEqual(unmetBinding(rule, { ref: 'refs/heads/main2' }), { name: 'ref', problem: 'not_allowed' });
    assert.deepEqual(unmetBinding(rule, { ref: 'refs/tags/x1' }), { name: 'ref', problem: 'not_allowed' });
    assert.deepEqual(unmetBinding(rule, {}), { name: 'ref', problem: 'missing' });
  });
});
