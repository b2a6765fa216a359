/**
 * The Redis state store: any number of gateway replicas share jobs, nonces, leases, the revocation queue and
 * the executor registry. Every operation is bounded in time and fails closed (StateUnavailableError); the
 * client reconnects in the background, so the store recovers by itself when Redis returns. See docs/state.md.
 */
import type { RedisConfig } from '../config.ts';
import { StateUnavailableError, type StateStore } from '../contract.ts';
import { connectClient, createClient, type RedisClient } from './connect.ts';
import { createRedisCounters, createRedisSets } from './counters.ts';
import { createRedisExecutors } from './executors.ts';
import { guarded } from './guard.ts';
import { createRedisJoinTokens } from './join_tokens.ts';
import { createRedisJobs, createRedisNonces, type Guard } from './jobs.ts';
import { RedisKeys } from './keys.ts';
import { createRedisLeases } from './leases.ts';
import { createRedisRevocations, ensureGroup } from './revocations.ts';
import type { RedisCaller } from './script.ts';
import { SecretBox, loadMasterKeys } from './secret_box.ts';

export interface RedisStateOptions {
  /** Clock, epoch ms. Redis's own clock still drives TTLs and stream idle times. */
  now?: () => number;
  /** Source of REDIS_URL, the password variable and env master keys (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Base for relative file paths (TLS files, master key files). */
  configDir?: string;
}

/**
 * An operation may issue a few commands, each bounded by `command_timeout_ms`; the whole is bounded by this
 * many command timeouts, so a hung Redis is reported within a known time.
 */
const COMMANDS_PER_OPERATION = 4;

/** Connects to Redis and returns the shared StateStore. Throws StateUnavailableError if Redis cannot be reached. */
export async function createRedisStateStore(config: RedisConfig, options: RedisStateOptions = {}): Promise<StateStore> {
  const env = options.env ?? process.env;
  const configDir = options.configDir ?? process.cwd();
  const now = options.now ?? Date.now;
  // Keys are read before connecting so that a bad key fails start-up, not the first rotation.
  const box = new SecretBox(loadMasterKeys(config.master_keys, env, configDir));
  const client: RedisClient = createClient(config, { env, configDir });
  let lastError: string | undefined;
  // Without a listener an 'error' event would crash the process; the message is kept for health().
  client.on('error', (err: Error) => {
    lastError = err.message;
  });
  client.on('ready', () => {
    lastError = undefined;
  });
  await connectClient(client, config.connect_timeout_ms);

  const caller = client as unknown as RedisCaller;
  const keys = new RedisKeys(config.key_prefix);
  const deadlineMs = config.command_timeout_ms * COMMANDS_PER_OPERATION;
  const guard: Guard = (op, work) => guarded(op, deadlineMs, work);
  try {
    await guard('revocations.init', () => ensureGroup(caller, keys));
  } catch (err) {
    client.disconnect();
    throw err;
  }

  return {
    kind: 'redis',
    jobs: createRedisJobs(caller, keys, guard, now),
    nonces: createRedisNonces(caller, keys, guard, now),
    leases: createRedisLeases(caller, keys, guard, now),
    revocations: createRedisRevocations(caller, keys, guard, now),
    executors: createRedisExecutors(caller, keys, guard, box),
    joinTokens: createRedisJoinTokens(caller, keys, guard),
    counters: createRedisCounters(caller, keys, guard),
    sets: createRedisSets(caller, keys, guard),
    async health() {
      try {
        await guarded('health', config.command_timeout_ms, () => caller.call('PING'));
        return { ok: true, detail: `redis ${client.status}` };
      } catch (err) {
        const reason = err instanceof StateUnavailableError ? err.reason : 'ping failed';
        return { ok: false, detail: lastError === undefined ? reason : `${reason} (last error: ${lastError})` };
      }
    },
    async close() {
      try {
        await guarded('close', config.command_timeout_ms, () => client.quit());
      } catch {
        // Redis is unreachable: drop the connection without the QUIT handshake.
      } finally {
        client.disconnect();
      }
    },
  };
}
