/**
 * Issue 15.1 as a property: for every (token life, clock skew, first and later presentation time), whenever the
 * token check would accept the token, the nonce reserved at the first presentation is still held. The token check
 * and the reservation are the real functions (checkRegisteredClaims, burnNonce) on the memory store's clock.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { burnNonce } from '../../src/chain/burn_nonce.ts';
import type { ResolveState } from '../../src/chain/context.ts';
import type { Envelope, RequestTokenClaims } from '../../src/envelope/schema.ts';
import { GatewayError } from '../../src/errors.ts';
import { createMemoryStateStore } from '../../src/state/memory/index.ts';
import { checkRegisteredClaims } from '../../src/tokens/compact_jws.ts';
import type { TokenPolicy } from '../../src/tokens/request_token.ts';
import { sampleJob } from './samples.ts';

const ISSUED = 1_763_870_000;

function accepts(claims: RequestTokenClaims, policy: TokenPolicy, atMs: number): boolean {
  try {
    checkRegisteredClaims(claims as unknown as Record<string, unknown>, policy, atMs);
    return true;
  } catch (err) {
    if (err instanceof GatewayError && err.step === 'token') return false;
    throw err;
  }
}

describe('nonce retention property: the nonce outlives every instant the token is accepted', () => {
  it('holds for any token life, skew and presentation times', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 10, max: 300 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 700_000 }),
        async (ttl, skew, firstMs, laterMs) => {
          let t = ISSUED * 1000 + firstMs;
          const store = createMemoryStateStore({ now: () => t });
          const job = sampleJob(ISSUED * 1000, 3 * 3600_000);
          await store.jobs.create(job);
          const policy: TokenPolicy = { issuer: 'crefgate', audience: 'crefgate:resolve', clockSkewSeconds: skew, maxLifetimeSeconds: 300 };
          const claims = { iss: 'crefgate', aud: 'crefgate:resolve', sub: 'exec-01', jti: 'n', iat: ISSUED, nbf: ISSUED, exp: ISSUED + ttl, tenant: 'tenant_abc', job_id: job.jobId, pld: 'p' } as RequestTokenClaims;
          fc.pre(accepts(claims, policy, t));
          const state = (requestId: string): ResolveState =>
            ({ requestId, now: t, identity: {} as ResolveState['identity'], rawBody: '', envelope: { payload: { tenant: 'tenant_abc', nonce: 'n', job_id: job.jobId } } as unknown as Envelope, claims });
          await burnNonce(state('first'), store, () => t, skew);
          t += laterMs;
          if (!accepts(claims, policy, t)) return;
          await assert.rejects(burnNonce(state('replay'), store, () => t, skew), (err) => err instanceof GatewayError && err.code === 'replayed', `accepted at +${t - (ISSUED + ttl) * 1000} ms after exp (skew ${skew} s) but the nonce was gone`);
        },
      ),
      { numRuns: 500 },
    );
  });
});
