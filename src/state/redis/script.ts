/** Runs Lua scripts by SHA and loads them on NOSCRIPT (after a restart or failover the cache is empty). */
import { createHash } from 'node:crypto';
import { isReplyError } from './guard.ts';

export type Arg = string | number | Buffer;

/** The one ioredis method the store uses: works the same on a Redis and a Cluster client. */
export interface RedisCaller {
  call(command: string, ...args: Arg[]): Promise<unknown>;
}

export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

/** Declares a script (its SHA is computed once). */
export function lua(source: string): LuaScript {
  return { lua: source, sha: createHash('sha1').update(source).digest('hex') };
}

/** Runs `script` with `keys` (all in one slot) and `args`. */
export async function runScript(client: RedisCaller, script: LuaScript, keys: string[], args: Arg[]): Promise<unknown> {
  try {
    return await client.call('EVALSHA', script.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!isReplyError(err) || !err.message.startsWith('NOSCRIPT')) throw err;
    return await client.call('EVAL', script.lua, keys.length, ...keys, ...args);
  }
}

/**
 * A script that reads `fields` of every hash named by a member of the set KEYS[1] (hash key = ARGV[1] .. member),
 * skipping members whose hash is gone. Callers keep set and hashes in one hash-tag slot.
 */
export function listMembersScript(fields: string): LuaScript {
  return lua(`
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local f = redis.call('HMGET', ARGV[1] .. id, ${fields})
  if f[1] then table.insert(out, f) end
end
return out`);
}
