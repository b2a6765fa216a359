/**
 * One-time join tokens in Redis: SET NX PX to create, GETDEL to consume, so that of two replicas presented the
 * same token at once exactly one gets it. The key holds the token's hash, never the token.
 */
import type { JoinTokenRecord, JoinTokenStore } from '../contract.ts';
import type { Guard } from './jobs.ts';
import type { RedisKeys } from './keys.ts';
import type { RedisCaller } from './script.ts';

/** Creates the Redis join-token store. */
export function createRedisJoinTokens(client: RedisCaller, keys: RedisKeys, guard: Guard): JoinTokenStore {
  return {
    put: (record) =>
      guard('joinTokens.put', async () => {
        const ttlMs = Math.max(1, record.expiresAt - record.createdAt);
        return (await client.call('SET', keys.joinToken(record.tokenHash), JSON.stringify(record), 'PX', ttlMs, 'NX')) === 'OK';
      }),
    consume: (tokenHash, at) =>
      guard('joinTokens.consume', async () => {
        const raw = (await client.call('GETDEL', keys.joinToken(tokenHash))) as string | null;
        if (raw === null) return undefined;
        const record = JSON.parse(raw) as JoinTokenRecord;
        return record.expiresAt <= at ? undefined : record;
      }),
  };
}
