/**
 * Counters and member sets in Redis, shared by every replica: one Lua script per operation, so an increment and
 * its expiry (or an addition and the size it was added to) are one atomic step even on a Cluster.
 */
import type { CounterStore, MemberSetStore } from '../contract.ts';
import type { Guard } from './jobs.ts';
import type { RedisKeys } from './keys.ts';
import { lua, runScript, type RedisCaller } from './script.ts';

// The expiry is set once, when the window is created: later hits must not push it out.
const INCREMENT = lua(`
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
if count == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return count`);

const ADD = lua(`
local before = redis.call('SCARD', KEYS[1])
local added = {}
for i = 2, #ARGV do
  if redis.call('SADD', KEYS[1], ARGV[i]) == 1 then added[#added + 1] = ARGV[i] end
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return {before, added}`);

/** Creates the Redis counter store. */
export function createRedisCounters(client: RedisCaller, keys: RedisKeys, guard: Guard): CounterStore {
  return {
    increment: (key, windowMs, at, options = {}) =>
      guard('counters.increment', async () => {
        const index = Math.floor(at / windowMs);
        const resetAt = (index + 1) * windowMs;
        // Redis's clock drives the expiry, so keep the window a little past its end in case the clocks differ.
        const ttlMs = Math.max(1, resetAt - at) + windowMs * ((options.retainWindows ?? 1) - 1) + 1000;
        const count = (await runScript(client, INCREMENT, [keys.counterWindow(key, index)], [options.by ?? 1, ttlMs])) as number;
        return { count, resetAt };
      }),
    history: (key, windowMs, at, windows) =>
      guard('counters.history', async () => {
        if (windows <= 0) return [];
        const index = Math.floor(at / windowMs);
        const names = Array.from({ length: windows }, (_, i) => keys.counterWindow(key, index - windows + i));
        const values = (await client.call('MGET', ...names)) as Array<string | null>;
        return values.map((v) => (v === null ? 0 : Number(v)));
      }),
  };
}

/** Creates the Redis member-set store. */
export function createRedisSets(client: RedisCaller, keys: RedisKeys, guard: Guard): MemberSetStore {
  return {
    add: (key, members, ttlMs) =>
      guard('sets.add', async () => {
        const [sizeBefore, added] = (await runScript(client, ADD, [keys.memberSet(key)], [Math.max(1, ttlMs), ...new Set(members)])) as [number, string[]];
        return { added, sizeBefore };
      }),
  };
}
