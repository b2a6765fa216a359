/**
 * Leases in Redis. A job's lease records and its lease set live in the job's slot `{job:<id>}` (keys.ts), next to
 * the job and its nonces, so the resolve's commit and every state change of a lease are single scripts there. The
 * global `{leases}` keys (lease → job locator, expiry index, revocation watch) are written by `prepare` BEFORE the
 * records and are only hints: the sweep re-reads the record, which is the truth. A record keeps the lease JSON as
 * put in `body`; only `state`, `expiresAt` and `renewals` change, as plain hash fields (cjson would turn `[]` into
 * `{}`). `revoke` holds what the backend revocation needs (task JSON without cause and time), '' when none.
 *
 * Ending a lease (revoke, expire) flips its state AND writes its revocation into the job's `rpending` hash in one
 * script; then the store moves pending entries onto the revocation stream (another slot) and deletes them. If the
 * process dies or Redis fails in between, the entry stays pending, and `recoverRevocations` (run by the sweeper
 * over the `{leases}:watch` index, which prepare filled before the lease existed) moves it later. See docs/state.md.
 */
import { GatewayError, deny } from '../../errors.ts';
import type { LeaseRecord, LeaseStore } from '../contract.ts';
import { revocationBaseOf } from '../records.ts';
import { JOB_RETENTION_SLACK_MS } from '../retention.ts';
import type { Guard } from './jobs.ts';
import { encodeId, type RedisKeys } from './keys.ts';
import { drainPending, RECOVER_DUE, SCAN_PENDING, WATCH_RECHECK_MS, watchDone } from './lease_revocations.ts';
import { locatorsOf } from './locators.ts';
import { lua, runScript, type Arg, type RedisCaller, listMembersScript } from './script.ts';

export const ARGS_PER_LEASE = 7;
/** How long a sweeper holds the expiry entries it took, so concurrent sweepers take different ones. */
const CLAIM_HOLD_MS = 30_000;

// Shared by put and commit: KEYS[first..] are records, KEYS[set] the job's lease set, ARGV from `base`.
export const WRITE_LEASES = (first: number, set: number, base: number) => `
for i = 1, n do
  local a = ${base} + (i - 1) * ${ARGS_PER_LEASE}
  local rec, ttl = KEYS[${first - 1} + i], tonumber(ARGV[a + 5])
  redis.call('HSET', rec, 'body', ARGV[a + 1], 'state', ARGV[a + 2], 'expiresAt', ARGV[a + 3], 'renewals', ARGV[a + 4], 'revoke', ARGV[a + 7])
  redis.call('PEXPIRE', rec, ttl)
  redis.call('SADD', KEYS[${set}], ARGV[a + 6])
  if redis.call('PTTL', KEYS[${set}]) < ttl then redis.call('PEXPIRE', KEYS[${set}], ttl) end
end`;

export const CHECK_IDS = (first: number) => `
for i = 1, n do
  if redis.call('EXISTS', KEYS[${first - 1} + i]) == 1 then return 'conflict' end
end`;

// KEYS: job, lease set, records. A completed job records no more leases: completion has already collected them.
const PUT = lua(`
local n = tonumber(ARGV[1])
if redis.call('HEXISTS', KEYS[1], 'completedAt') == 1 then return 'job_completed' end
${CHECK_IDS(3)}
${WRITE_LEASES(3, 2, 1)}
return 'ok'`);

// KEYS: expiry, watch. Locators, expiry hints and the job's revocation watch, before any record exists.
const PREPARE = lua(`
for i = 1, tonumber(ARGV[1]) do
  local a = 3 + (i - 1) * 5
  redis.call('SET', ARGV[2] .. ARGV[a + 1], ARGV[a + 2], 'PX', ARGV[a + 4])
  redis.call('ZADD', KEYS[1], ARGV[a + 3], ARGV[a + 1])
  if ARGV[a + 5] == '1' then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[a + 2]) end
end
return 1`);

const FIELDS = `'body', 'state', 'expiresAt', 'renewals'`;
const LIST = listMembersScript(FIELDS);

// A lease whose end has passed is expired even before the sweep reaches it: it is never renewed back to life.
const RENEW = lua(`
local f = redis.call('HMGET', KEYS[1], 'state', 'expiresAt')
if f[1] ~= 'active' or tonumber(f[2]) <= tonumber(ARGV[2]) then return false end
redis.call('HSET', KEYS[1], 'expiresAt', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'renewals', 1)
return redis.call('HMGET', KEYS[1], ${FIELDS})`);

// KEYS: record, pending. ARGV: new state, cause, now, lease id, mode. The state flip and the recorded revocation
// are this one script. Mode 'expire' ends only a lease whose own expiresAt has passed (the index is a hint).
const END = lua(`
local f = redis.call('HMGET', KEYS[1], 'body', 'state', 'expiresAt', 'renewals', 'revoke')
if not f[1] then return {'gone'} end
if f[2] ~= 'active' then return {'ended'} end
if ARGV[5] == 'expire' and tonumber(f[3]) > tonumber(ARGV[3]) then return {'later', f[3]} end
redis.call('HSET', KEYS[1], 'state', ARGV[1])
if f[5] and f[5] ~= '' then
  redis.call('HSET', KEYS[2], ARGV[4], ARGV[2] .. '\\n' .. ARGV[3] .. '\\n' .. f[5])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 and redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
end
return {'now', f[1], ARGV[1], f[3], f[4]}`);

// KEYS: expiry. Takes due entries, holding each until ARGV[4] so that concurrent sweepers take different ones;
// an entry without a locator (its lease was never recorded, or is forgotten) is dropped.
const EXPIRY_DUE = lua(`
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))) do
  local job = redis.call('GET', ARGV[3] .. id)
  if job then
    redis.call('ZADD', KEYS[1], ARGV[4], id)
    table.insert(out, {id, job})
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out`);

// KEYS: expiry. Pairs (id, score): '' drops the entry, a number re-files it; only if the entry is still held by
// this sweep (ARGV[1]), since a renew in between wrote the right score itself.
const EXPIRY_SETTLE = lua(`
for i = 2, #ARGV, 2 do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) == ARGV[1] then
    if ARGV[i + 1] == '' then redis.call('ZREM', KEYS[1], ARGV[i]) else redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i]) end
  end
end
return 1`);

type Fields = [string, string, string, string];

function decode(fields: Fields): LeaseRecord {
  const [body, state, expiresAt, renewals] = fields;
  return { ...(JSON.parse(body) as LeaseRecord), state: state as LeaseRecord['state'], expiresAt: Number(expiresAt), renewals: Number(renewals) };
}

const recordTtl = (lease: LeaseRecord, now: number): number => Math.max(lease.jobExpiresAt + JOB_RETENTION_SLACK_MS - now, 1000);
const revocable = (lease: LeaseRecord): boolean => lease.handle !== undefined && lease.revocable;

export function leaseArgs(lease: LeaseRecord, now: number): Arg[] {
  const revoke = revocable(lease) ? JSON.stringify(revocationBaseOf(lease)) : '';
  return [JSON.stringify(lease), lease.state, lease.expiresAt, lease.renewals, recordTtl(lease, now), encodeId(lease.leaseId), revoke];
}

export function oneJob(leases: LeaseRecord[]): string {
  const jobs = new Set(leases.map((l) => l.jobId));
  if (jobs.size !== 1) throw new GatewayError('internal', { step: 'lease', reason: 'one write records leases of exactly one job' });
  if (new Set(leases.map((l) => l.leaseId)).size !== leases.length) {
    throw new GatewayError('conflict', { step: 'lease', reason: 'duplicate lease id in one batch' });
  }
  return leases[0]!.jobId;
}

export const conflict = () => new GatewayError('conflict', { step: 'lease', reason: 'a lease id of the batch already exists' });

/** Creates the Redis lease store. */
export function createRedisLeases(client: RedisCaller, keys: RedisKeys, guard: Guard, now: () => number): LeaseStore {
  // A lease's job never changes, so the locator is remembered (locators.ts, shared with the commit, which writes
  // locators too): a renew or a proxied request by lease id then costs one round trip, not two.
  const locators = locatorsOf(keys);
  const locate = async (leaseId: string): Promise<string | undefined> => {
    const known = locators.get(leaseId);
    if (known !== undefined) return known;
    const job = await client.call('GET', keys.leaseLocator(leaseId));
    if (job === null) return undefined;
    locators.remember(leaseId, String(job));
    return String(job);
  };

  const prepare = async (leases: LeaseRecord[]): Promise<void> => {
    if (leases.length === 0) return;
    const t = now();
    const args: Arg[] = [leases.length, keys.leaseLocatorPrefix, t + WATCH_RECHECK_MS];
    for (const l of leases) args.push(encodeId(l.leaseId), l.jobId, l.expiresAt, recordTtl(l, t), revocable(l) ? '1' : '0');
    await runScript(client, PREPARE, [keys.leaseExpiry, keys.revocationWatch], args);
    for (const l of leases) locators.remember(l.leaseId, l.jobId);
  };

  // Ends one lease; on success its pending revocation is moved to the queue (the sweep retries if that fails).
  const end = async (jobId: string, leaseId: string, state: 'revoked' | 'expired', cause: string, mode: 'revoke' | 'expire', at: number) => {
    const reply = (await runScript(client, END, [keys.lease(jobId, leaseId), keys.revocationsPending(jobId)], [state, cause, at, encodeId(leaseId), mode])) as string[];
    return reply;
  };

  return {
    prepare: (leases) => guard('leases.prepare', () => prepare(leases)),
    put: (leases) =>
      guard('leases.put', async () => {
        if (leases.length === 0) return;
        const jobId = oneJob(leases);
        await prepare(leases);
        const t = now();
        const keyList = [keys.job(jobId), keys.leasesOfJob(jobId), ...leases.map((l) => keys.lease(jobId, l.leaseId))];
        const outcome = await runScript(client, PUT, keyList, [leases.length, ...leases.flatMap((l) => leaseArgs(l, t))]);
        if (outcome === 'job_completed') throw deny('expired', 'commit', 'the job was completed before its leases were recorded');
        if (outcome !== 'ok') throw conflict();
      }),
    get: (leaseId) =>
      guard('leases.get', async () => {
        const jobId = await locate(leaseId);
        if (jobId === undefined) return undefined;
        const fields = (await client.call('HMGET', keys.lease(jobId, leaseId), 'body', 'state', 'expiresAt', 'renewals')) as Fields;
        return fields[0] === null ? undefined : decode(fields);
      }),
    listByJob: (jobId) =>
      guard('leases.listByJob', async () => {
        const rows = (await runScript(client, LIST, [keys.leasesOfJob(jobId)], [keys.leaseRecordPrefix(jobId)])) as Fields[];
        return rows.map(decode);
      }),
    renew: (leaseId, newExpiresAt) =>
      guard('leases.renew', async () => {
        const jobId = await locate(leaseId);
        if (jobId === undefined) return undefined;
        const reply = (await runScript(client, RENEW, [keys.lease(jobId, leaseId)], [newExpiresAt, now()])) as Fields | null;
        if (reply === null) return undefined;
        // The index follows the record; if this write is lost the sweep finds the old score and re-files it.
        await client.call('ZADD', keys.leaseExpiry, newExpiresAt, encodeId(leaseId));
        return decode(reply);
      }),
    revoke: (leaseId, cause) =>
      guard('leases.revoke', async () => {
        const jobId = await locate(leaseId);
        if (jobId === undefined) return undefined;
        const reply = await end(jobId, leaseId, 'revoked', cause, 'revoke', now());
        if (reply[0] !== 'now') return undefined;
        const before = { ...decode(reply.slice(1) as Fields), state: 'active' as const };
        // The revocation is durable in the job's pending hash already: if moving it fails, the sweep moves it later.
        await Promise.allSettled([client.call('ZREM', keys.leaseExpiry, encodeId(leaseId)), drainPending(client, keys, [jobId])]);
        return before;
      }),
    claimExpired: (at, limit) =>
      guard('leases.claimExpired', async () => {
        if (limit <= 0) return [];
        const hold = at + CLAIM_HOLD_MS;
        const due = (await runScript(client, EXPIRY_DUE, [keys.leaseExpiry], [at, limit, keys.leaseLocatorPrefix, hold])) as [string, string][];
        const settle: Arg[] = [hold];
        const ended: LeaseRecord[] = [];
        const jobs = new Set<string>();
        for (const [id, jobId] of due) {
          const reply = await end(jobId, decodeURIComponent(id), 'expired', 'lease_expired', 'expire', at);
          settle.push(id, reply[0] === 'later' ? reply[1]! : '');
          if (reply[0] === 'now') {
            ended.push(decode(reply.slice(1) as Fields));
            jobs.add(jobId);
          }
        }
        // Both are follow-ups of changes already made: a stale hint is re-read, a pending revocation recovered.
        await Promise.allSettled([due.length > 0 ? runScript(client, EXPIRY_SETTLE, [keys.leaseExpiry], settle) : undefined, drainPending(client, keys, [...jobs])]);
        return ended.sort((a, b) => a.expiresAt - b.expiresAt);
      }),
    recoverRevocations: (at, limit) =>
      guard('leases.recoverRevocations', async () => {
        const hold = String(at + WATCH_RECHECK_MS);
        const jobs = (await runScript(client, RECOVER_DUE, [keys.revocationWatch], [at, limit, hold])) as string[];
        let moved = 0;
        for (const jobId of jobs) {
          const [live, pending] = (await runScript(client, SCAN_PENDING, [keys.leasesOfJob(jobId), keys.revocationsPending(jobId)], [keys.leaseRecordPrefix(jobId)])) as [number, number];
          if (pending > 0) moved += await drainPending(client, keys, [jobId]);
          // Nothing revocable left alive or pending: stop watching, unless a prepare re-armed the watch meanwhile.
          if (live === 0 && pending === 0) await watchDone(client, keys, jobId, hold);
        }
        return moved;
      }),
    countActive: () => guard('leases.countActive', async () => Number(await client.call('ZCARD', keys.leaseExpiry))),
  };
}
