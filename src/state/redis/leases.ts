/**
 * Leases in Redis. All lease keys share the hash tag `{leases}` (see keys.ts), so put, renew, revoke and the
 * expiry sweep are each one Lua script: atomic, and safe to run from every replica at once. The record keeps
 * the lease JSON as put in `body`; only `state`, `expiresAt` and `renewals` change, as plain hash fields, so
 * the scripts never re-encode JSON (cjson would turn `[]` into `{}` and round large numbers).
 */
import { GatewayError } from '../../errors.ts';
import type { LeaseRecord, LeaseStore } from '../contract.ts';
import { JOB_RETENTION_SLACK_MS } from '../retention.ts';
import type { Guard } from './jobs.ts';
import { encodeId, type RedisKeys } from './keys.ts';
import { lua, runScript, type Arg, type RedisCaller, listMembersScript } from './script.ts';

const ARGS_PER_LEASE = 6;

// KEYS: expiry, then (record, job index) per lease. Checks every id first so that the batch is all or none.
const PUT = lua(`
local n = tonumber(ARGV[1])
for i = 1, n do
  if redis.call('EXISTS', KEYS[2 * i]) == 1 then return 0 end
end
for i = 1, n do
  local a = 1 + (i - 1) * ${ARGS_PER_LEASE}
  local rec, idx, ttl = KEYS[2 * i], KEYS[2 * i + 1], tonumber(ARGV[a + 5])
  redis.call('HSET', rec, 'body', ARGV[a + 1], 'state', ARGV[a + 2], 'expiresAt', ARGV[a + 3], 'renewals', ARGV[a + 4])
  redis.call('PEXPIRE', rec, ttl)
  redis.call('SADD', idx, ARGV[a + 6])
  if redis.call('PTTL', idx) < ttl then redis.call('PEXPIRE', idx, ttl) end
  if ARGV[a + 2] == 'active' then redis.call('ZADD', KEYS[1], ARGV[a + 3], ARGV[a + 6]) end
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
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[3])
return redis.call('HMGET', KEYS[1], ${FIELDS})`);

const REVOKE = lua(`
local f = redis.call('HMGET', KEYS[1], ${FIELDS})
if f[2] ~= 'active' then return false end
redis.call('HSET', KEYS[1], 'state', 'revoked')
redis.call('ZREM', KEYS[2], ARGV[1])
return f`);

// Record keys are built from ARGV[3] (the record prefix): they carry the same {leases} tag, so the same slot.
const CLAIM_EXPIRED = lua(`
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))) do
  redis.call('ZREM', KEYS[1], id)
  local key = ARGV[3] .. id
  local f = redis.call('HMGET', key, ${FIELDS})
  if f[2] == 'active' then
    redis.call('HSET', key, 'state', 'expired')
    f[2] = 'expired'
    table.insert(out, f)
  end
end
return out`);

type Fields = [string, string, string, string];

function decode(fields: Fields): LeaseRecord {
  const [body, state, expiresAt, renewals] = fields;
  return { ...(JSON.parse(body) as LeaseRecord), state: state as LeaseRecord['state'], expiresAt: Number(expiresAt), renewals: Number(renewals) };
}

/** Creates the Redis lease store. */
export function createRedisLeases(client: RedisCaller, keys: RedisKeys, guard: Guard, now: () => number): LeaseStore {
  return {
    put: (leases) =>
      guard('leases.put', async () => {
        if (leases.length === 0) return;
        if (new Set(leases.map((l) => l.leaseId)).size !== leases.length) {
          throw new GatewayError('conflict', { step: 'lease', reason: 'duplicate lease id in one batch' });
        }
        const keyList = [keys.leaseExpiry];
        const args: Arg[] = [leases.length];
        for (const lease of leases) {
          keyList.push(keys.lease(lease.leaseId), keys.leasesOfJob(lease.jobId));
          const ttl = Math.max(lease.jobExpiresAt + JOB_RETENTION_SLACK_MS - now(), 1000);
          args.push(JSON.stringify(lease), lease.state, lease.expiresAt, lease.renewals, ttl, encodeId(lease.leaseId));
        }
        if ((await runScript(client, PUT, keyList, args)) !== 1) {
          throw new GatewayError('conflict', { step: 'lease', reason: 'a lease id of the batch already exists' });
        }
      }),
    get: (leaseId) =>
      guard('leases.get', async () => {
        const fields = (await client.call('HMGET', keys.lease(leaseId), 'body', 'state', 'expiresAt', 'renewals')) as Fields;
        return fields[0] === null ? undefined : decode(fields);
      }),
    listByJob: (jobId) =>
      guard('leases.listByJob', async () => {
        const rows = (await runScript(client, LIST, [keys.leasesOfJob(jobId)], [keys.leaseRecordPrefix])) as Fields[];
        return rows.map(decode);
      }),
    renew: (leaseId, newExpiresAt) =>
      guard('leases.renew', async () => {
        const reply = (await runScript(client, RENEW, [keys.lease(leaseId), keys.leaseExpiry], [newExpiresAt, now(), encodeId(leaseId)])) as Fields | null;
        return reply === null ? undefined : decode(reply);
      }),
    revoke: (leaseId) =>
      guard('leases.revoke', async () => {
        const reply = (await runScript(client, REVOKE, [keys.lease(leaseId), keys.leaseExpiry], [encodeId(leaseId)])) as Fields | null;
        return reply === null ? undefined : decode(reply);
      }),
    claimExpired: (at, limit) =>
      guard('leases.claimExpired', async () => {
        if (limit <= 0) return [];
        const rows = (await runScript(client, CLAIM_EXPIRED, [keys.leaseExpiry], [at, limit, keys.leaseRecordPrefix])) as Fields[];
        return rows.map(decode);
      }),
    countActive: () => guard('leases.countActive', async () => Number(await client.call('ZCARD', keys.leaseExpiry))),
  };
}
