/**
 * The resolve's commit in Redis: ONE script in the job's slot `{job:<id>}` (job, nonce, lease set and lease
 * records all carry that tag) checks that this owner holds the reservation and that the job is open, then
 * consumes the nonce (PX from the retention deadline) and records the static leases. A completion closes the job
 * in the same slot, so Redis orders the two: either the commit ran first (and the completion's listing sees its
 * leases) or the commit is refused. The leases were prepared (global indexes) by the caller beforehand.
 */
import { GatewayError } from '../../errors.ts';
import type { CommitOutcome, NonceStore } from '../contract.ts';
import { nonceTtlMs } from '../retention.ts';
import type { Guard } from './jobs.ts';
import type { RedisKeys } from './keys.ts';
import { CHECK_IDS, WRITE_LEASES, conflict, leaseArgs, oneJob } from './leases.ts';
import { lua, runScript, type RedisCaller } from './script.ts';

// KEYS: job, nonce, lease set, records. ARGV: owner, nonce ttl, n, leases. See NonceStore.commit.
const COMMIT = lua(`
local v = redis.call('GET', KEYS[2])
if v == 'c|' .. ARGV[1] then return 'committed' end
if redis.call('EXISTS', KEYS[1]) == 0 then return 'job_unknown' end
if redis.call('HEXISTS', KEYS[1], 'completedAt') == 1 then return 'job_completed' end
if v ~= 'r|' .. ARGV[1] then return 'not_held' end
local n = tonumber(ARGV[3])
${CHECK_IDS(4)}
redis.call('SET', KEYS[2], 'c|' .. ARGV[1], 'PX', ARGV[2])
${WRITE_LEASES(4, 3, 3)}
return 'committed'`);

/** Creates the commit operation of the Redis nonce store. */
export function createRedisCommit(client: RedisCaller, keys: RedisKeys, guard: Guard, now: () => number): NonceStore['commit'] {
  return ({ nonceKey, jobId, owner, retainUntil, leases }) =>
    guard('nonces.commit', async () => {
      if (leases.length > 0 && oneJob(leases) !== jobId) throw new GatewayError('internal', { step: 'commit', reason: 'commit leases belong to another job' });
      const t = now();
      const keyList = [keys.job(jobId), keys.nonce(jobId, nonceKey), keys.leasesOfJob(jobId), ...leases.map((l) => keys.lease(jobId, l.leaseId))];
      const outcome = await runScript(client, COMMIT, keyList, [owner, nonceTtlMs(retainUntil, t), leases.length, ...leases.flatMap((l) => leaseArgs(l, t))]);
      if (outcome === 'conflict') throw conflict();
      return outcome as CommitOutcome;
    });
}
