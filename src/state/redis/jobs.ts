/**
 * Jobs and nonces in Redis. A job and every nonce burned against it share the hash tag `{job:<id>}`, so the
 * reservation is ONE Lua script: job exists, job open, nonce absent → SET NX PX until the retention deadline.
 */
import { GatewayError } from '../../errors.ts';
import type { JobRecord, JobStore, NonceStore, ReserveOutcome } from '../contract.ts';
import { jobTtlMs, nonceTtlMs } from '../retention.ts';
import { createRedisCommit } from './commit.ts';
import type { RedisKeys } from './keys.ts';
import { lua, runScript, type RedisCaller } from './script.ts';

const CREATE = lua(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'rec', ARGV[1])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'completedAt', ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`);

// Keeps the first completion time; returns the record and completion time, or nil for an unknown job.
const COMPLETE = lua(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSETNX', KEYS[1], 'completedAt', ARGV[1])
return redis.call('HMGET', KEYS[1], 'rec', 'completedAt')`);

const RESERVE = lua(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 'job_unknown' end
if redis.call('HEXISTS', KEYS[1], 'completedAt') == 1 then return 'job_completed' end
if redis.call('SET', KEYS[2], 'r|' .. ARGV[1], 'NX', 'PX', ARGV[2]) then return 'reserved' end
return 'replayed'`);

// RESERVE plus the executor record's version, in one script. Only where one script may read both slots
// (standalone, Sentinel): on Cluster the registry's slot is another one and reserveFor falls back to RESERVE.
const RESERVE_FOR = lua(`
local v = redis.call('HGET', KEYS[3], 'version')
if redis.call('EXISTS', KEYS[3]) == 0 then v = '-1' elseif not v then v = '0' end
if redis.call('EXISTS', KEYS[1]) == 0 then return {'job_unknown', v} end
if redis.call('HEXISTS', KEYS[1], 'completedAt') == 1 then return {'job_completed', v} end
if redis.call('SET', KEYS[2], 'r|' .. ARGV[1], 'NX', 'PX', ARGV[2]) then return {'reserved', v} end
return {'replayed', v}`);

// Only an unconsumed reservation of this owner is dropped: a consumed nonce never becomes replayable.
const RELEASE = lua(`
if redis.call('GET', KEYS[1]) == 'r|' .. ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

// Reserved or consumed by this owner: dropped (see NonceStore.revertConsume for when that is allowed).
const REVERT_CONSUME = lua(`
local v = redis.call('GET', KEYS[1])
if v == 'r|' .. ARGV[1] or v == 'c|' .. ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

export type Guard = <T>(op: string, work: () => Promise<T>) => Promise<T>;

function decodeJob(rec: unknown, completedAt: unknown): JobRecord {
  const job = JSON.parse(String(rec)) as JobRecord;
  return completedAt === null || completedAt === undefined ? job : { ...job, completedAt: Number(completedAt) };
}

/** Creates the Redis job store. */
export function createRedisJobs(client: RedisCaller, keys: RedisKeys, guard: Guard, now: () => number): JobStore {
  return {
    create: (job) =>
      guard('jobs.create', async () => {
        const { completedAt, ...open } = job;
        const args = [JSON.stringify(open), jobTtlMs(job.expiresAt, now()), completedAt === undefined ? '' : completedAt];
        const created = await runScript(client, CREATE, [keys.job(job.jobId)], args);
        if (created !== 1) throw new GatewayError('conflict', { reason: `job ${job.jobId} already exists` });
      }),
    get: (jobId) =>
      guard('jobs.get', async () => {
        const [rec, completedAt] = (await client.call('HMGET', keys.job(jobId), 'rec', 'completedAt')) as [unknown, unknown];
        return rec === null ? undefined : decodeJob(rec, completedAt);
      }),
    complete: (jobId, at) =>
      guard('jobs.complete', async () => {
        const reply = (await runScript(client, COMPLETE, [keys.job(jobId)], [at])) as [unknown, unknown] | null;
        return reply === null || reply[0] === null ? undefined : decodeJob(reply[0], reply[1]);
      }),
  };
}

/**
 * Creates the Redis nonce store. Each nonce key lives in its job's hash slot (one script checks the job and sets
 * the nonce), which is why commit and release are given the job id too. The owner check is in the scripts, so
 * any replica may commit or release, and only the owner's request succeeds. The commit lives in commit.ts.
 */
export function createRedisNonces(client: RedisCaller, keys: RedisKeys, guard: Guard, now: () => number, options: { cluster?: boolean } = {}): NonceStore {
  const cluster = options.cluster === true;
  return {
    readsExecutorVersion: !cluster,
    // One script may touch the job's slot and {leases} only off Cluster (CROSSSLOT there).
    commitIndexesLeases: !cluster,
    reserveFor: ({ nonceKey, jobId, owner, retainUntil, executorId }) =>
      guard('nonces.reserve', async () => {
        const ttl = nonceTtlMs(retainUntil, now());
        if (cluster) return { outcome: (await runScript(client, RESERVE, [keys.job(jobId), keys.nonce(jobId, nonceKey)], [owner, ttl])) as ReserveOutcome };
        const [outcome, version] = (await runScript(client, RESERVE_FOR, [keys.job(jobId), keys.nonce(jobId, nonceKey), keys.executor(executorId)], [owner, ttl])) as [ReserveOutcome, string];
        return { outcome, executorVersion: version === '-1' ? undefined : Number(version) };
      }),
    reserve: (nonceKey, jobId, owner, retainUntil) =>
      guard('nonces.reserve', async () => {
        const ttl = nonceTtlMs(retainUntil, now());
        return (await runScript(client, RESERVE, [keys.job(jobId), keys.nonce(jobId, nonceKey)], [owner, ttl])) as ReserveOutcome;
      }),
    commit: createRedisCommit(client, keys, guard, now, !cluster),
    revertConsume: (nonceKey, jobId, owner) =>
      guard('nonces.revertConsume', async () => {
        await runScript(client, REVERT_CONSUME, [keys.nonce(jobId, nonceKey)], [owner]);
      }),
    release: (nonceKey, jobId, owner) =>
      guard('nonces.release', async () => {
        await runScript(client, RELEASE, [keys.nonce(jobId, nonceKey)], [owner]);
      }),
  };
}
