/** Conformance cases: fixed-window counters and member sets (rate limits and security signals). */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { FixtureRef } from './describe_state_store.ts';

const key = (what: string): string => `${what}:${randomBytes(4).toString('hex')}`;

/** Registers the counter and set cases. */
export function describeCounterCases(fx: FixtureRef): void {
  describe('counters', () => {
    it('counts hits in one window across replicas, atomically', async () => {
      const { store, now, peer } = fx();
      const other = await peer();
      const k = key('rl');
      const at = now();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : other).counters.increment(k, 60_000, at)));
      assert.deepEqual(results.map((r) => r.count).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
      assert.equal(results[0]!.resetAt, (Math.floor(at / 60_000) + 1) * 60_000);
      assert.equal((await store.counters.increment(k, 60_000, at, { by: 5 })).count, 25);
    });

    it('starts a fresh count in the next window and reports earlier windows as history', async () => {
      const { store, now } = fx();
      const k = key('base');
      const windowMs = 60_000;
      const start = Math.floor(now() / windowMs) * windowMs;
      await store.counters.increment(k, windowMs, start, { by: 3, retainWindows: 4 });
      await store.counters.increment(k, windowMs, start + windowMs, { by: 7, retainWindows: 4 });
      assert.equal((await store.counters.increment(k, windowMs, start + 2 * windowMs, { retainWindows: 4 })).count, 1);
      assert.deepEqual(await store.counters.history(k, windowMs, start + 2 * windowMs, 3), [0, 3, 7]);
      assert.deepEqual(await store.counters.history(key('none'), windowMs, start, 2), [0, 0]);
    });

    it('forgets a window once it has passed', async () => {
      const { store, now, advance } = fx();
      const k = key('short');
      await store.counters.increment(k, 200, now());
      await advance(1500);
      assert.deepEqual(await store.counters.history(k, 200, now(), 3), [0, 0, 0]);
    });
  });

  describe('member sets', () => {
    it('reports new members and the size before, shared across replicas', async () => {
      const { store, peer } = fx();
      const other = await peer();
      const k = key('seen');
      assert.deepEqual(await store.sets.add(k, ['a', 'b', 'a'], 60_000), { added: ['a', 'b'], sizeBefore: 0 });
      assert.deepEqual(await other.sets.add(k, ['b', 'c'], 60_000), { added: ['c'], sizeBefore: 2 });
      assert.deepEqual(await store.sets.add(k, ['a'], 60_000), { added: [], sizeBefore: 3 });
    });

    it('forgets a set after its ttl', async () => {
      const { store, advance } = fx();
      const k = key('ttl');
      await store.sets.add(k, ['a'], 100);
      await advance(1100);
      assert.deepEqual(await store.sets.add(k, ['a'], 100), { added: ['a'], sizeBefore: 0 });
    });
  });
}
