/** Executor secrets at rest in Redis: sealed, bound to their executor and kid, readable only with the right key. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { GatewayError } from '../../src/errors.ts';
import type { StateStore } from '../../src/state/contract.ts';
import { createRedisStateStore } from '../../src/state/redis/index.ts';
import { newMasterKey, testConfig } from './redis_fixture.ts';
import { sampleExecutor } from './samples.ts';

/** Every value stored under `prefix`, as raw bytes (strings, hash fields and values, set members). */
async function rawValues(redis: Redis, prefix: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const key of await redis.keys(`${prefix}*`)) {
    const type = await redis.type(key);
    if (type === 'string') out.push((await redis.getBuffer(key))!);
    if (type === 'hash') out.push(...Object.entries(await redis.hgetallBuffer(key)).flatMap(([f, v]) => [Buffer.from(f), v]));
    if (type === 'set') out.push(...(await redis.smembersBuffer(key)));
  }
  return out;
}

const isInternal = (err: unknown): boolean => err instanceof GatewayError && err.code === 'internal';

describe('redis state store: executor secrets at rest', () => {
  const stores: StateStore[] = [];
  let redis: Redis;
  const open = async (...args: Parameters<typeof createRedisStateStore>): Promise<StateStore> => {
    const store = await createRedisStateStore(...args);
    stores.push(store);
    return store;
  };
  before(() => {
    redis = new Redis(process.env.REDIS_URL!);
  });
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    redis.disconnect();
  });

  it('never stores a secret in clear (raw, base64 or hex)', async () => {
    const config = testConfig();
    const store = await open(config, { env: { CG_MK1: newMasterKey() } });
    const record = sampleExecutor(Date.now());
    const secret = record.secrets[0]!.secret;
    await store.executors.register(record);
    const next = randomBytes(32);
    await store.executors.rotate(record.id, { kid: 'k2', secret: next, createdAt: Date.now() }, Date.now());
    const values = await rawValues(redis, config.key_prefix);
    assert.ok(values.length > 0);
    for (const s of [secret, next]) {
      for (const value of values) {
        assert.equal(value.includes(s), false, 'raw secret bytes found');
        assert.equal(value.includes(s.toString('base64')), false, 'base64 secret found');
        assert.equal(value.includes(s.toString('base64url')), false, 'base64url secret found');
        assert.equal(value.includes(s.toString('hex')), false, 'hex secret found');
      }
    }
    assert.deepEqual((await store.executors.get(record.id))?.secrets.map((v) => v.secret), [next, secret]);
  });

  it('fails cleanly with the wrong master key, and decrypts with an older key after a key rotation', async () => {
    const config = testConfig();
    const oldKey = newMasterKey();
    const store = await open(config, { env: { CG_MK1: oldKey } });
    const record = sampleExecutor(Date.now());
    await store.executors.register(record);

    const wrong = await open(config, { env: { CG_MK1: newMasterKey() } });
    await assert.rejects(wrong.executors.get(record.id), isInternal);
    await assert.rejects(wrong.executors.list(), isInternal);

    const keysAfterRotation = [{ key_id: 'mk2', env: 'CG_MK2' }, { key_id: 'mk1', env: 'CG_MK1' }];
    const rotated = await open({ ...config, master_keys: keysAfterRotation }, { env: { CG_MK1: oldKey, CG_MK2: newMasterKey() } });
    assert.deepEqual((await rotated.executors.get(record.id))?.secrets[0]?.secret, record.secrets[0]!.secret);
    const fresh = sampleExecutor(Date.now());
    await rotated.executors.register(fresh);
    await assert.rejects(store.executors.get(fresh.id), isInternal, 'mk2 is unknown to the old replica');

    const withoutOld = await open({ ...config, master_keys: [keysAfterRotation[0]!] }, { env: { CG_MK2: 'x' } }).catch((e: unknown) => e);
    assert.ok(isInternal(withoutOld), 'a malformed master key is refused at start-up');
  });

  it('binds a sealed secret to its executor: copied to another executor it does not open', async () => {
    const config = testConfig();
    const store = await open(config, { env: { CG_MK1: newMasterKey() } });
    const victim = sampleExecutor(Date.now());
    const attacker = sampleExecutor(Date.now(), { secrets: [{ kid: 'k1', secret: randomBytes(32), createdAt: Date.now() }] });
    await store.executors.register(victim);
    await store.executors.register(attacker);
    const keyOf = (id: string): string => `${config.key_prefix}{executors}:rec:${encodeURIComponent(id)}`;
    const sealed = await redis.hget(keyOf(victim.id), 'secrets');
    await redis.hset(keyOf(attacker.id), 'secrets', sealed!);
    await assert.rejects(store.executors.get(attacker.id), isInternal);
  });
});
