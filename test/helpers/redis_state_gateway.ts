/**
 * A test gateway whose state is a private Redis deployment (a lone server's `url`, or `sentinel`), with a
 * master key file of its own, mode 0600, in a temporary folder that `close()` removes with the gateway.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RedisConfig } from '../../src/state/config.ts';
import { startGateway, type TestGateway } from './gateway.ts';

/** Starts the gateway on `redis` (its key prefix is `<label><random>:`, its master key `m1` from the file). */
export async function startRedisStateGateway(label: string, redis: Omit<RedisConfig, 'key_prefix' | 'master_keys'>): Promise<TestGateway> {
  const keyDir = await mkdtemp(path.join(tmpdir(), `crefgate-${label}-key-`));
  try {
    await writeFile(path.join(keyDir, 'master.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    const gw = await startGateway({
      mutate: (config) => {
        config.state = {
          kind: 'redis',
          redis: { ...redis, key_prefix: `${label}${randomBytes(3).toString('hex')}:`, master_keys: [{ key_id: 'm1', file: path.join(keyDir, 'master.key') }] },
        };
      },
    });
    return {
      ...gw,
      close: async () => {
        await gw.close();
        await rm(keyDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(keyDir, { recursive: true, force: true });
    throw err;
  }
}
