/**
 * The resolve's commit in Redis: ONE script in the job's slot `{job:<id>}` (job, nonce, lease set and lease
 * records all carry that tag) checks that this owner holds the reservation and that the job is open, then
 * consumes the nonce (PX from the retention deadline) and records the static leases. A completion closes the job
 * in the same slot, so Redis orders the two: either the commit ran first (and the completion's listing sees its
 * leases) or the commit is refused.
 *
 * The leases' global `{leases}` indexes (locator, expiry hint, revocation watch) are in another slot. Where one
 * script may touch both (standalone, Sentinel: `commitIndexesLeases`), the same script writes them after the
 * records, so a refused commit leaves no hint and a resolve needs no separate `leases.prepare` round trip. On
 * Cluster the caller prepares them first (hints before records; the sweep drops a hint without a record).
 */
import { GatewayError } from '../../errors.ts';
import type { CommitOutcome, CommitRequest, NonceStore } from '../contract.ts';
import { nonceTtlMs } from '../retention.ts';
import type { Guard } from './jobs.ts';
import type { RedisKeys } from './keys.ts';
import { WATCH_RECHECK_MS } from './lease_revocations.ts';
import { ARGS_PER_LEASE, CHECK_IDS, WRITE_LEASES, conflict, leaseArgs, oneJob } from './leases.ts';
import { locatorsOf } from './locators.ts';
import { lua, runScript, type RedisCaller } from './script.ts';

const CHECKS = `
local v = redis.call('GET', KEYS[2])
if v == 'c|' .. ARGV[1] then return 'committed' end
if redis.call('EXISTS', KEYS[1]) == 0 then return 'job_unknown' end
if redis.call('HEXISTS', KEYS[1], 'completedAt') == 1 then return 'job_completed' end
if v ~= 'r|' .. ARGV[1] then return 'not_held' end
local n = tonumber(ARGV[3])`;

// KEYS: job, nonce, lease set, records. ARGV: owner, nonce ttl, n, leases. See NonceStore.commit.
const COMMIT = lua(`${CHECKS}
${CHECK_IDS(4)}
redis.call('SET', KEYS[2], 'c|' .. ARGV[1], 'PX', ARGV[2])
${WRITE_LEASES(4, 3, 3)}
return 'committed'`);

// COMMIT plus the global indexes, as leases.prepare writes them (same keys and values), in the same step.
// KEYS: job, nonce, lease set, expiry, watch, records. ARGV: owner, nonce ttl, n, locator prefix, job id,
// watch time, leases (each: body, state, expiresAt, renewals, record ttl, encoded id, revoke).
const COMMIT_INDEXED = lua(`${CHECKS}
${CHECK_IDS(6)}
redis.call('SET', KEYS[2], 'c|' .. ARGV[1], 'PX', ARGV[2])
${WRITE_LEASES(6, 3, 6)}
for i = 1, n do
  local a = 6 + (i - 1) * ${ARGS_PER_LEASE}
  redis.call('SET', ARGV[4] .. ARGV[a + 6], ARGV[5], 'PX', ARGV[a + 5])
  redis.call('ZADD', KEYS[4], ARGV[a + 3], ARGV[a + 6])
  if ARGV[a + 7] ~= '' then redis.call('ZADD', KEYS[5], ARGV[6], ARGV[5]) end
end
return 'committed'`);

/** Creates the commit operation of the Redis nonce store; `indexed`: write the global indexes in the same script. */
export function createRedisCommit(client: RedisCaller, keys: RedisKeys, guard: Guard, now: () => number, indexed: boolean): NonceStore['commit'] {
  const locators = locatorsOf(keys);
  const run = async ({ nonceKey, jobId, owner, retainUntil, leases }: CommitRequest, t: number): Promise<unknown> => {
    const records = leases.map((l) => keys.lease(jobId, l.leaseId));
    const args = leases.flatMap((l) => leaseArgs(l, t));
    const ttl = nonceTtlMs(retainUntil, t);
    if (!indexed) return await runScript(client, COMMIT, [keys.job(jobId), keys.nonce(jobId, nonceKey), keys.leasesOfJob(jobId), ...records], [owner, ttl, leases.length, ...args]);
    const keyList = [keys.job(jobId), keys.nonce(jobId, nonceKey), keys.leasesOfJob(jobId), keys.leaseExpiry, keys.revocationWatch, ...records];
    return await runScript(client, COMMIT_INDEXED, keyList, [owner, ttl, leases.length, keys.leaseLocatorPrefix, jobId, t + WATCH_RECHECK_MS, ...args]);
  };
  return (request) =>
    guard('nonces.commit', async () => {
      const { jobId, leases } = request;
      if (leases.length > 0 && oneJob(leases) !== jobId) throw new GatewayError('internal', { step: 'commit', reason: 'commit leases belong to another job' });
      const outcome = await run(request, now());
      if (outcome === 'conflict') throw conflict();
      if (indexed && outcome === 'committed') for (const l of leases) locators.remember(l.leaseId, jobId);
      return outcome as CommitOutcome;
    });
}
