/**
 * Revocations recorded with a lease's end, on their way to the queue. The script that ends a lease writes the
 * revocation into the job's `{job:<id>}:rpending` hash in the same step (one slot); the queue stream `{rq}` is in
 * another slot, so moving an entry there is a second step: XADD, then HDEL. A crash or a Redis error between the
 * steps leaves the entry pending, never lost; the sweep finds it through `{leases}:watch` (armed by
 * leases.prepare before any revocable lease of the job exists) and moves it. A crash between XADD and HDEL queues
 * the task twice, which the at-least-once queue allows (adapter revokes are idempotent).
 */
import type { RevocationTask } from '../contract.ts';
import type { RedisKeys } from './keys.ts';
import { lua, runScript, type RedisCaller } from './script.ts';

/** How long a job's watch waits before the sweep looks at it again while it has revocable leases alive. */
export const WATCH_RECHECK_MS = 30_000;

// KEYS: watch. Due jobs, each held until ARGV[3] so that concurrent sweepers take different ones.
export const RECOVER_DUE = lua(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, job in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', ARGV[3], job) end
return due`);

// KEYS: lease set, pending. How many revocable leases are still active, and how many revocations are pending.
export const SCAN_PENDING = lua(`
local live = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local f = redis.call('HMGET', ARGV[1] .. id, 'state', 'revoke')
  if f[1] == 'active' and f[2] and f[2] ~= '' then live = live + 1 end
end
return {live, redis.call('HLEN', KEYS[2])}`);

// KEYS: watch. Stops watching a job, unless a prepare re-armed it (its score changed) since this sweep took it.
export const WATCH_DONE = lua(`
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0`);

/** Parses a pending entry: "<cause>\n<enqueuedAt>\n<JSON of leaseId, mount, handle, tenant, jobId, executor>". */
function taskOf(entry: string): RevocationTask {
  const first = entry.indexOf('\n');
  const second = entry.indexOf('\n', first + 1);
  const base = JSON.parse(entry.slice(second + 1)) as Omit<RevocationTask, 'cause' | 'enqueuedAt'>;
  return { ...base, cause: entry.slice(0, first), enqueuedAt: Number(entry.slice(first + 1, second)) };
}

/** Moves every pending revocation of `jobIds` onto the queue; returns how many. Throws if Redis fails (they stay pending). */
export async function drainPending(client: RedisCaller, keys: RedisKeys, jobIds: string[]): Promise<number> {
  let moved = 0;
  for (const jobId of jobIds) {
    const flat = (await client.call('HGETALL', keys.revocationsPending(jobId))) as string[];
    const fields: string[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      await client.call('XADD', keys.revocationStream, '*', 'task', JSON.stringify(taskOf(flat[i + 1]!)), 'attempts', 0);
      fields.push(flat[i]!);
    }
    if (fields.length > 0) await client.call('HDEL', keys.revocationsPending(jobId), ...fields);
    moved += fields.length;
  }
  return moved;
}

/** Stops watching `jobId` if the sweep that held it until `hold` is still the last to have touched it. */
export async function watchDone(client: RedisCaller, keys: RedisKeys, jobId: string, hold: string): Promise<void> {
  await runScript(client, WATCH_DONE, [keys.revocationWatch], [jobId, hold]);
}
