/** Conformance cases: the executor registry and its HMAC secret versions. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { GatewayError } from '../../src/errors.ts';
import type { FixtureRef } from './describe_state_store.ts';
import { sampleExecutor } from './samples.ts';

/** Registers the executor registry cases. */
export function describeExecutorCases(fx: FixtureRef): void {
  describe('executor registry', () => {
    it('registers once and never overwrites', async () => {
      const { store, now } = fx();
      const record = sampleExecutor(now(), { identities: [], allowedCrefs: [] });
      assert.equal(await store.executors.register(record), true);
      assert.deepEqual(await store.executors.get(record.id), { ...record, version: 1 });
      assert.equal(await store.executors.register({ ...record, tenant: 'tenant_other', enabled: false }), false);
      assert.deepEqual(await store.executors.get(record.id), { ...record, version: 1 }, 'unchanged, version too');
      assert.equal(await store.executors.get('exec-unknown'), undefined);
    });

    it('copies secret buffers on the way in and out', async () => {
      const { store, now } = fx();
      const record = sampleExecutor(now());
      const original = Buffer.from(record.secrets[0]!.secret);
      await store.executors.register(record);
      record.secrets[0]!.secret.fill(0);
      const read = await store.executors.get(record.id);
      assert.deepEqual(read?.secrets[0]?.secret, original);
      read!.secrets[0]!.secret.fill(1);
      assert.deepEqual((await store.executors.get(record.id))?.secrets[0]?.secret, original);
      assert.ok(Buffer.isBuffer(read?.secrets[0]?.secret));
    });

    it('rotates: the new version first, the previous one superseded at the rotation time', async () => {
      const { store, now, peer } = fx();
      const other = await peer();
      const t = now();
      const record = sampleExecutor(now());
      await store.executors.register(record);
      const next = { kid: 'k2', secret: randomBytes(32), createdAt: t + 10 };
      const rotated = await other.executors.rotate(record.id, next, t + 10);
      assert.deepEqual(rotated?.secrets.map((v) => v.kid), ['k2', 'k1']);
      assert.equal(rotated?.secrets[1]?.supersededAt, t + 10);
      assert.equal(rotated?.secrets[0]?.supersededAt, undefined);
      const seen = await store.executors.get(record.id);
      assert.deepEqual(seen?.secrets[0]?.secret, next.secret, 'visible on the other replica at once');
      assert.deepEqual(seen?.secrets[1]?.secret, record.secrets[0]!.secret);
      await assert.rejects(
        store.executors.rotate(record.id, { kid: 'k1', secret: randomBytes(32), createdAt: now() }, now()),
        (err) => err instanceof GatewayError && err.code === 'conflict',
      );
      assert.equal(await store.executors.rotate('exec-unknown', next, now()), undefined);
    });

    it('keeps every rotation when many replicas rotate at once', async () => {
      const { store, now, peer } = fx();
      const other = await peer();
      const record = sampleExecutor(now(), { graceMs: 3_600_000 });
      await store.executors.register(record);
      await Promise.all(
        ['a', 'b', 'c', 'd'].map((kid, i) =>
          (i % 2 === 0 ? store : other).executors.rotate(record.id, { kid, secret: randomBytes(32), createdAt: now() }, now()),
        ),
      );
      const seen = await store.executors.get(record.id);
      assert.deepEqual(seen?.secrets.map((v) => v.kid).sort(), ['a', 'b', 'c', 'd', 'k1']);
      assert.equal(seen?.secrets.filter((v) => v.supersededAt === undefined).length, 1, 'one current version');
    });

    it('disables and re-enables, visible on the other replica at once', async () => {
      const { store, now, peer } = fx();
      const other = await peer();
      const record = sampleExecutor(now());
      await store.executors.register(record);
      const at = now() + 7;
      const disabled = await store.executors.setEnabled(record.id, false, at);
      assert.equal(disabled?.enabled, false);
      assert.equal(disabled?.disabledAt, at);
      assert.equal((await other.executors.get(record.id))?.enabled, false);
      const enabled = await other.executors.setEnabled(record.id, true, now() + 9);
      assert.equal(enabled?.enabled, true);
      assert.equal(enabled?.disabledAt, undefined);
      assert.equal((await store.executors.get(record.id))?.enabled, true);
      assert.equal(await store.executors.setEnabled('exec-unknown', false, now()), undefined);
    });

    it('lists executors, optionally by tenant', async () => {
      const { store, now } = fx();
      const a = sampleExecutor(now());
      const b = sampleExecutor(now(), { tenant: 'tenant_xyz' });
      await store.executors.register(a);
      await store.executors.register(b);
      const all = (await store.executors.list()).map((r) => r.id);
      assert.ok(all.includes(a.id) && all.includes(b.id));
      assert.deepEqual((await store.executors.list('tenant_xyz')).map((r) => r.id), [b.id]);
    });
  });
}
