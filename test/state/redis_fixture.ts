/** Builds Redis state stores for tests: a unique key prefix per store family, keys from a test-only env. */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisConfig } from '../../src/state/config.ts';
import type { StateStore } from '../../src/state/contract.ts';
import { createRedisStateStore } from '../../src/state/redis/index.ts';
import type { StateFixture } from './describe_state_store.ts';

/** A random master key, base64, as an operator would put in the environment. */
export const newMasterKey = (): string => randomBytes(32).toString('base64');

/** A fresh prefix so that runs and cases never see each other's keys. */
export const uniquePrefix = (): string => `test-${randomBytes(6).toString('hex')}:`;

/** Config for the test Redis (REDIS_URL set by the global fixture) with a master key read from `CG_MK1`. */
export function testConfig(overrides: Partial<RedisConfig> = {}): RedisConfig {
  return {
    url: process.env.REDIS_URL,
    key_prefix: uniquePrefix(),
    command_timeout_ms: 500,
    connect_timeout_ms: 2000,
    master_keys: [{ key_id: 'mk1', env: 'CG_MK1' }],
    ...overrides,
  };
}

/**
 * Fixture for the conformance suite: real clock (Redis TTLs and idle times run on it), real waits. `config`
 * picks the topology (the standalone test Redis by default).
 */
export async function redisFixture(config: RedisConfig = testConfig()): Promise<StateFixture> {
  const env = { CG_MK1: newMasterKey() };
  const stores: StateStore[] = [await createRedisStateStore(config, { env })];
  return {
    store: stores[0]!,
    now: Date.now,
    advance: async (ms) => void (await delay(ms)),
    peer: async () => {
      const other = await createRedisStateStore(config, { env });
      stores.push(other);
      return other;
    },
    close: async () => {
      await Promise.all(stores.map((s) => s.close()));
    },
  };
}
