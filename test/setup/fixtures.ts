/**
 * Mocha global fixtures. Redis: the suite uses REDIS_URL when set; otherwise it starts its own
 * `redis-server` on a free port for the whole run and exports REDIS_URL for the tests.
 */
import { RedisServer } from '../helpers/redis_server.ts';

let ownRedis: RedisServer | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  if (process.env.REDIS_URL === undefined || process.env.REDIS_URL === '') {
    ownRedis = await RedisServer.start();
    process.env.REDIS_URL = ownRedis.url;
  }
}

export async function mochaGlobalTeardown(): Promise<void> {
  await ownRedis?.stop(true);
}
