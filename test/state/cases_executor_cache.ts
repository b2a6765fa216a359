/**
 * Conformance cases for issue 21.2: executor records carry a version that every change increments atomically,
 * the nonce reservation returns it in the same step, and the chain (steps 3, 4 and 8 as the gateway runs them)
 * never trusts a cached record that a disable or rotation made between the cache fill and the reservation. On a
 * store that cannot read the version atomically (Redis Cluster) there is no cache and the record is read each time.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { burnNonce } from '../../src/chain/burn_nonce.ts';
import { checkExecutor } from '../../src/chain/check_executor.ts';
import type { ResolveState } from '../../src/chain/context.ts';
import { verifyHmac } from '../../src/chain/verify_hmac.ts';
import { hmacTag } from '../../src/crypto/hmac.ts';
import type { Envelope, RequestTokenClaims } from '../../src/envelope/schema.ts';
import { GatewayError } from '../../src/errors.ts';
import type { Identity } from '../../src/identity/identity.ts';
import type { ExecutorRecord, StateStore } from '../../src/state/contract.ts';
import type { FixtureRef } from './describe_state_store.ts';
import { sampleExecutor, sampleJob } from './samples.ts';

/** Steps 3, 4 and 8 of one presentation by `executor` for `jobId` (kid k1, signed with `secret`). */
async function present(store: StateStore, executor: ExecutorRecord, jobId: string, secret: Buffer, kid = 'k1'): Promise<ResolveState> {
  const canonical = JSON.stringify({ job_id: jobId, nonce: randomBytes(16).toString('base64url') });
  const identity: Identity = { role: 'executor', id: executor.id, tenant: executor.tenant, tenants: [], binding: executor.identities[0]!, fingerprint: 'sha256:00', auth: 'mtls' };
  const payload = { ...JSON.parse(canonical), tenant: executor.tenant, executor: executor.id } as Envelope['payload'];
  const state: ResolveState = {
    requestId: `req_${randomBytes(8).toString('hex')}`,
    now: Date.now(),
    identity,
    rawBody: '',
    envelope: { payload, kid, sig: hmacTag(secret, canonical), token: 't' } as Envelope,
    canonicalPayload: canonical,
    claims: { exp: Math.floor(Date.now() / 1000) + 300 } as RequestTokenClaims,
  };
  await checkExecutor(state, store);
  verifyHmac(state);
  await burnNonce(state, store, Date.now, 30);
  return state;
}

const refusedAt = (step: string) => (err: unknown) => err instanceof GatewayError && err.step === step;

/** Registers the executor version and cache cases. */
export function describeExecutorCacheCases(fx: FixtureRef): void {
  describe('executor versions and the cached record (issue 21.2)', () => {
    it('increments the version with every change, and reserveFor returns it in the same step', async () => {
      const { store, now } = fx();
      const record = sampleExecutor(now());
      await store.executors.register(record);
      const v1 = (await store.executors.get(record.id))!.version!;
      const v2 = (await store.executors.setEnabled(record.id, false, now()))!.version!;
      const v3 = (await store.executors.rotate(record.id, { kid: 'k2', secret: randomBytes(32), createdAt: now() }, now()))!.version!;
      assert.ok(v1 < v2 && v2 < v3, `versions ${v1} < ${v2} < ${v3}`);
      assert.equal((await store.executors.get(record.id))!.version, v3);
      const job = sampleJob(now());
      await store.jobs.create(job);
      const result = await store.nonces.reserveFor({ nonceKey: 'rv1', jobId: job.jobId, owner: 'o', retainUntil: now() + 60_000, executorId: record.id });
      assert.equal(result.outcome, 'reserved');
      assert.equal(result.executorVersion, store.nonces.readsExecutorVersion ? v3 : undefined);
      const unknown = await store.nonces.reserveFor({ nonceKey: 'rv2', jobId: job.jobId, owner: 'o', retainUntil: now() + 60_000, executorId: 'exec-nobody' });
      assert.equal(unknown.executorVersion, undefined);
    });

    it('refuses an executor disabled between the cache fill and the reservation, and releases the nonce', async () => {
      const { store, now, peer } = fx();
      const other = await peer();
      const record = sampleExecutor(now());
      await store.executors.register(record);
      const job = sampleJob(now());
      await store.jobs.create(job);
      const first = await present(store, record, job.jobId, record.secrets[0]!.secret);
      assert.ok(first.reservation, 'the first presentation fills the cache and reserves');
      await other.executors.setEnabled(record.id, false, now());
      await assert.rejects(present(store, record, job.jobId, record.secrets[0]!.secret), refusedAt('executor'));
      await other.executors.setEnabled(record.id, true, now());
      assert.ok((await present(store, record, job.jobId, record.secrets[0]!.secret)).reservation, 're-enabled: accepted again');
    });

    it('refuses a kid rotated away (and past its grace) after the cache fill, at step hmac', async () => {
      const { store, now, peer } = fx();
      const other = await peer();
      const record = sampleExecutor(now(), { graceMs: 0 });
      await store.executors.register(record);
      const job = sampleJob(now());
      await store.jobs.create(job);
      await present(store, record, job.jobId, record.secrets[0]!.secret);
      await other.executors.rotate(record.id, { kid: 'k2', secret: randomBytes(32), createdAt: now() - 10 }, now() - 10);
      await assert.rejects(present(store, record, job.jobId, record.secrets[0]!.secret), refusedAt('hmac'));
    });
  });
}
