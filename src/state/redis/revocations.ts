/**
 * The revocation queue in Redis: a Stream with one consumer group, plus a sorted set for retries.
 *
 * - enqueue: XADD (the task is durable before any revoke is attempted).
 * - claim: (1) move retries whose time has come from the sorted set back onto the stream (one Lua script, so a
 *   retry is promoted once); (2) XAUTOCLAIM entries idle ≥ staleAfterMs (their consumer is presumed dead;
 *   XAUTOCLAIM resets the idle time, so two replicas cannot both take one entry); (3) XREADGROUP new entries.
 * - retry: one Lua script copies the entry into the sorted set, due at now + delay, then XACK + XDEL. A retry is
 *   a new stream entry later, so its id changes; `attempts` travels with it.
 * - ack: XACK + XDEL. depth: stream length (pending + undelivered, since acked entries are deleted) + retries.
 * All keys share the `{rq}` hash tag.
 */
import type { ClaimedRevocation, RevocationQueue, RevocationTask } from '../contract.ts';
import { isReplyError } from './guard.ts';
import type { Guard } from './jobs.ts';
import type { RedisKeys } from './keys.ts';
import { lua, runScript, type RedisCaller } from './script.ts';

const GROUP = 'crefgate-revokers';

// Delayed members are "<attempts>\n<old entry id>\n<task JSON>" (JSON never holds a raw newline).
const PROMOTE = lua(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  local attempts, task = string.match(member, '^(%d+)\\n[^\\n]*\\n(.*)$')
  redis.call('XADD', KEYS[2], '*', 'task', task, 'attempts', attempts)
  redis.call('ZREM', KEYS[1], member)
end
return #due`);

const RETRY = lua(`
local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])[1]
if not entry then return 0 end
local f = {}
for i = 1, #entry[2], 2 do f[entry[2][i]] = entry[2][i + 1] end
local attempts = (tonumber(f['attempts']) or 0) + 1
redis.call('ZADD', KEYS[2], ARGV[3], attempts .. '\\n' .. ARGV[2] .. '\\n' .. f['task'])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1`);

const ACK = lua(`
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XDEL', KEYS[1], ARGV[2])`);

type StreamEntry = [string, string[] | null];

function fieldsOf(raw: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) map.set(raw[i]!, raw[i + 1]!);
  return map;
}

function toClaimed(entry: StreamEntry, extraAttempts: number): ClaimedRevocation | undefined {
  const [id, raw] = entry;
  if (raw === null) return undefined;
  const fields = fieldsOf(raw);
  const task = fields.get('task');
  if (task === undefined) return undefined;
  return { id, task: JSON.parse(task) as RevocationTask, attempts: Number(fields.get('attempts') ?? 0) + extraAttempts };
}

/** Creates the group (idempotent). Also run after NOGROUP: a Redis restarted without persistence forgets it. */
export async function ensureGroup(client: RedisCaller, keys: RedisKeys): Promise<void> {
  try {
    await client.call('XGROUP', 'CREATE', keys.revocationStream, GROUP, '0', 'MKSTREAM');
  } catch (err) {
    if (!isReplyError(err) || !err.message.startsWith('BUSYGROUP')) throw err;
  }
}

/** Creates the Redis revocation queue. */
export function createRedisRevocations(client: RedisCaller, keys: RedisKeys, guard: Guard, now: () => number): RevocationQueue {
  const stream = keys.revocationStream;

  const withGroup = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (!isReplyError(err) || !err.message.startsWith('NOGROUP')) throw err;
      await ensureGroup(client, keys);
      return await work();
    }
  };

  // Deliveries beyond the first were claims by consumers that never acked or retried: count them as attempts.
  const stale = async (consumer: string, max: number, staleAfterMs: number): Promise<ClaimedRevocation[]> => {
    const reply = (await client.call('XAUTOCLAIM', stream, GROUP, consumer, staleAfterMs, '0-0', 'COUNT', max)) as [string, StreamEntry[]];
    const entries = reply[1].filter((e) => e[1] !== null);
    if (entries.length === 0) return [];
    const pending = (await client.call('XPENDING', stream, GROUP, entries[0]![0], entries.at(-1)![0], entries.length * 2, consumer)) as [string, string, number, number][];
    const deliveries = new Map(pending.map(([id, , , count]) => [id, Number(count)]));
    return entries.flatMap((e) => toClaimed(e, Math.max(1, (deliveries.get(e[0]) ?? 2) - 1)) ?? []);
  };

  const fresh = async (consumer: string, count: number): Promise<ClaimedRevocation[]> => {
    const reply = (await client.call('XREADGROUP', 'GROUP', GROUP, consumer, 'COUNT', count, 'STREAMS', stream, '>')) as
      | [string, StreamEntry[]][]
      | null;
    return (reply?.[0]?.[1] ?? []).flatMap((e) => toClaimed(e, 0) ?? []);
  };

  return {
    enqueue: (task) =>
      guard('revocations.enqueue', async () => {
        await client.call('XADD', stream, '*', 'task', JSON.stringify(task), 'attempts', 0);
      }),
    claim: (consumer, max, staleAfterMs) =>
      guard('revocations.claim', async () => {
        if (max <= 0) return [];
        await runScript(client, PROMOTE, [keys.revocationDelayed, stream], [now(), max]);
        const taken = await withGroup(() => stale(consumer, max, Math.max(0, staleAfterMs)));
        if (taken.length >= max) return taken;
        return [...taken, ...(await withGroup(() => fresh(consumer, max - taken.length)))];
      }),
    ack: (id) =>
      guard('revocations.ack', async () => {
        await runScript(client, ACK, [stream], [GROUP, id]);
      }),
    retry: (id, delayMs) =>
      guard('revocations.retry', async () => {
        await runScript(client, RETRY, [stream, keys.revocationDelayed], [GROUP, id, now() + Math.max(0, delayMs)]);
      }),
    depth: () =>
      guard('revocations.depth', async () => {
        const [length, delayed] = await Promise.all([client.call('XLEN', stream), client.call('ZCARD', keys.revocationDelayed)]);
        return Number(length) + Number(delayed);
      }),
  };
}
