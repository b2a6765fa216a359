/** Conformance cases: the durable, at-least-once revocation queue. */
import assert from 'node:assert/strict';
import type { RevocationTask } from '../../src/state/contract.ts';
import type { FixtureRef } from './describe_state_store.ts';

const task = (leaseId: string, enqueuedAt: number): RevocationTask => ({
  leaseId,
  mount: 'vault-db',
  handle: { lease_id: `database/creds/ro/${leaseId}` },
  cause: 'lease_revoked',
  enqueuedAt,
});

const LONG = 60_000;

/** Registers the revocation queue cases. */
export function describeRevocationCases(fx: FixtureRef): void {
  describe('revocation queue', () => {
    it('delivers an enqueued task once, and forgets it on ack', async () => {
      const { store, now } = fx();
      const t = now();
      await store.revocations.enqueue(task('l1', t));
      await store.revocations.enqueue(task('l2', t));
      assert.equal(await store.revocations.depth(), 2);
      const first = await store.revocations.claim('replica-a', 1, LONG);
      assert.equal(first.length, 1);
      assert.deepEqual(first[0]!.task, task('l1', t));
      assert.equal(first[0]!.attempts, 0);
      const second = await store.revocations.claim('replica-b', 10, LONG);
      assert.deepEqual(second.map((c) => c.task.leaseId), ['l2'], 'a live claim is not handed out again');
      assert.equal(await store.revocations.depth(), 2, 'claimed is still pending');
      await store.revocations.ack(first[0]!.id);
      await store.revocations.ack(second[0]!.id);
      await store.revocations.ack(second[0]!.id);
      assert.equal(await store.revocations.depth(), 0);
      assert.deepEqual(await store.revocations.claim('replica-a', 10, LONG), []);
    });

    it('makes a retried task due again after its delay, counting the attempt', async () => {
      const { store, now, advance } = fx();
      await store.revocations.enqueue(task('l3', now()));
      const [claimed] = await store.revocations.claim('replica-a', 10, LONG);
      assert.ok(claimed);
      await store.revocations.retry(claimed.id, 300);
      assert.equal(await store.revocations.depth(), 1);
      assert.deepEqual(await store.revocations.claim('replica-a', 10, LONG), [], 'not due yet');
      await advance(400);
      const again = await store.revocations.claim('replica-b', 10, LONG);
      assert.equal(again.length, 1);
      assert.equal(again[0]!.task.leaseId, 'l3');
      assert.equal(again[0]!.attempts, 1);
      await store.revocations.retry(again[0]!.id, 0);
      const third = await store.revocations.claim('replica-a', 10, LONG);
      assert.equal(third[0]?.attempts, 2);
      await store.revocations.ack(third[0]!.id);
      assert.equal(await store.revocations.depth(), 0);
    });

    it('hands a dead consumer\'s claims to another after staleAfterMs', async () => {
      const { store, now, advance, peer } = fx();
      const other = await peer();
      await store.revocations.enqueue(task('l4', now()));
      await store.revocations.enqueue(task('l5', now()));
      const dead = await store.revocations.claim('replica-dead', 10, 200);
      assert.equal(dead.length, 2);
      assert.deepEqual(await other.revocations.claim('replica-alive', 10, 200), [], 'not stale yet');
      await advance(300);
      const taken = await other.revocations.claim('replica-alive', 10, 200);
      assert.deepEqual(taken.map((c) => c.task.leaseId).sort(), ['l4', 'l5']);
      assert.ok(taken.every((c) => c.attempts >= 1), 'the dead claim counts as an attempt');
      assert.deepEqual(await store.revocations.claim('replica-third', 10, 200), [], 'the fresh claim is live');
      for (const c of taken) await other.revocations.ack(c.id);
      assert.equal(await store.revocations.depth(), 0);
    });

    it('gives each task to exactly one of many concurrent consumers', async () => {
      const { store, now, peer } = fx();
      const other = await peer();
      for (let i = 0; i < 30; i += 1) await store.revocations.enqueue(task(`c${i}`, now()));
      const batches = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? store : other).revocations.claim(`replica-${i}`, 5, LONG)),
      );
      const ids = batches.flat().map((c) => c.task.leaseId);
      assert.equal(new Set(ids).size, ids.length);
      const rest = await store.revocations.claim('replica-last', 100, LONG);
      assert.equal(ids.length + rest.length, 30);
    });
  });
}
