/** Conformance cases: one-time join tokens. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { JoinTokenRecord } from '../../src/state/contract.ts';
import type { FixtureRef } from './describe_state_store.ts';

const sample = (now: number, ttlMs = 60_000): JoinTokenRecord => ({
  tokenHash: randomBytes(32).toString('hex'),
  executor: 'exec-01',
  tenant: 'tenant_abc',
  createdBy: 'ops',
  createdAt: now,
  expiresAt: now + ttlMs,
});

/** Registers the join-token cases. */
export function describeJoinTokenCases(fx: FixtureRef): void {
  describe('join tokens', () => {
    it('is consumed exactly once, across replicas', async () => {
      const { store, now, peer } = fx();
      const record = sample(now());
      assert.equal(await store.joinTokens.put(record), true);
      assert.equal(await store.joinTokens.put(record), false, 'a hash is never overwritten');
      const other = await peer();
      const results = await Promise.all([store.joinTokens.consume(record.tokenHash, now()), other.joinTokens.consume(record.tokenHash, now())]);
      assert.equal(results.filter((r) => r !== undefined).length, 1);
      assert.deepEqual(results.find((r) => r !== undefined), record);
      assert.equal(await store.joinTokens.consume(record.tokenHash, now()), undefined);
    });

    it('refuses an expired token', async () => {
      const { store, now } = fx();
      const record = sample(now(), 50);
      await store.joinTokens.put(record);
      assert.equal(await store.joinTokens.consume(record.tokenHash, now() + 60), undefined);
      assert.equal(await store.joinTokens.consume('0'.repeat(64), now()), undefined);
    });
  });
}
