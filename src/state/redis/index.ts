/**
 * The Redis state store: any number of gateway replicas share jobs, nonces, leases, the revocation queue and
 * the executor registry. Every operation is bounded in time and fails closed (StateUnavailableError); the
 * client reconnects in the background, so the store recovers by itself when Redis returns. See docs/state.md.
 */
import { Cluster } from 'ioredis';
import type { RedisConfig } from '../config.ts';
import { StateUnavailableError, type StateStore } from '../contract.ts';
import { coalesceWrites } from './coalesce_writes.ts';
import { connectClient, createClient, type RedisClient } from './connect.ts';
import { createRedisCounters, createRedisSets } from './counters.ts';
import { durableCaller } from './durability.ts';
import { StoreEpoch } from './epoch.ts';
import { gateByEpoch } from './epoch_gate.ts';
import { shardEpochKeys } from './epoch_shards.ts';
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

/** What the HA layer adds to a Redis store, for the gateway's wiring (see storeHa). */
export interface RedisStoreHa {
  epoch: StoreEpoch;
  /** The same store without the epoch gate: for the recovery hooks that run while the gate is closed. */
  ungated: StateStore;
}

const haOf = new WeakMap<StateStore, RedisStoreHa>();

/** Connections that carry WAIT-acknowledged writes (see durability.ts); measured in docs/state.md. */
const DURABLE_WRITERS = 8;

async function durableWriters(client: RedisClient, config: RedisConfig): Promise<RedisClient[]> {
  if ((config.min_replicas_acked ?? 0) === 0 || client instanceof Cluster) return [client];
  const writers: RedisClient[] = [client];
  try {
    for (let i = 1; i < DURABLE_WRITERS; i++) {
      const writer = client.duplicate();
      writer.on('error', () => undefined);
      coalesceWrites(writer);
      writers.push(writer);
      await connectClient(writer, config.connect_timeout_ms);
    }
  } catch (err) {
    for (const w of writers) if (w !== client) w.disconnect();
    throw err;
  }
  return writers;
}

/** The HA handles of a store built by createRedisStateStore (undefined for any other store). */
export function storeHa(store: StateStore): RedisStoreHa | undefined {
  return haOf.get(store);
}

/** Connects to Redis and returns the shared StateStore. Throws StateUnavailableError if Redis cannot be reached. */
export async function createRedisStateStore(config: RedisConfig, options: RedisStateOptions = {}): Promise<StateStore> {
  const env = options.env ?? process.env;
  const configDir = options.configDir ?? process.cwd();
  const now = options.now ?? Date.now;
  // Keys are read before connecting so that a bad key fails start-up, not the first rotation.
  const box = new SecretBox(loadMasterKeys(config.master_keys, env, configDir));
  const client: RedisClient = createClient(config, { env, configDir });
  coalesceWrites(client);
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
  const ackTimeoutMs = config.replica_ack_timeout_ms ?? 200;
  if ((config.min_replicas_acked ?? 0) > 0 && ackTimeoutMs >= config.command_timeout_ms) {
    client.disconnect();
    throw new StateUnavailableError('state.redis.replica_ack_timeout_ms must be below command_timeout_ms (WAIT runs inside one command timeout)');
  }
  // Every state change that guards a secret waits for replica acknowledgements (docs/state.md, "Durability");
  // counters and sets (rate limits, signals) do not: losing a few counts in a failover opens no door.
  let writers: RedisClient[];
  try {
    writers = await durableWriters(client, config);
  } catch (err) {
    client.disconnect();
    throw err;
  }
  const durable = durableCaller(client, { replicas: config.min_replicas_acked ?? 0, timeoutMs: ackTimeoutMs }, writers);
  const keys = new RedisKeys(config.key_prefix);
  const deadlineMs = config.command_timeout_ms * COMMANDS_PER_OPERATION;
  const guard: Guard = (op, work) => guarded(op, deadlineMs, work);
  let shardKeys: string[] | undefined;
  try {
    shardKeys = client instanceof Cluster ? await guard('epoch.shards', () => shardEpochKeys(client, config.key_prefix)) : undefined;
  } catch (err) {
    client.disconnect();
    throw err;
  }
  const intervalMs = config.epoch_check_interval_ms ?? 1000;
  const holdMs = config.epoch_loss_hold_ms ?? 3000;
  const epoch = new StoreEpoch(durable, {
    shardKeys,
    prefix: config.key_prefix,
    intervalMs,
    holdMs,
    now,
    guard,
  });
  try {
    await guard('revocations.init', () => ensureGroup(caller, keys));
    await epoch.start();
  } catch (err) {
    client.disconnect();
    throw err;
  }

  const subStores = {
    jobs: createRedisJobs(durable, keys, guard, now),
    nonces: createRedisNonces(durable, keys, guard, now, { cluster: config.cluster !== undefined }),
    leases: createRedisLeases(durable, keys, guard, now),
    revocations: createRedisRevocations(durable, keys, guard, now),
    executors: createRedisExecutors(durable, keys, guard, box),
    joinTokens: createRedisJoinTokens(durable, keys, guard),
    counters: createRedisCounters(caller, keys, guard),
    sets: createRedisSets(caller, keys, guard),
  };
  const lifecycle = {
    async health() {
      try {
        // The epoch check is the ping: a store that answers but forgot everything is not healthy.
        await epoch.verify();
        return { ok: true, detail: `redis ${client.status}, epoch ${epoch.current.slice(0, 6)}` };
      } catch (err) {
        const reason = err instanceof StateUnavailableError ? err.reason : 'epoch check failed';
        return { ok: false, detail: lastError === undefined ? reason : `${reason} (last error: ${lastError})` };
      }
    },
    async close() {
      epoch.stop();
      for (const writer of writers) if (writer !== client) writer.disconnect();
      try {
        await guarded('close', config.command_timeout_ms, () => client.quit());
      } catch {
        // Redis is unreachable: drop the connection without the QUIT handshake.
      } finally {
        client.disconnect();
      }
    },
  };
  const ungated: StateStore = { kind: 'redis', ...subStores, ...lifecycle };
  const store: StateStore = {
    kind: 'redis',
    jobs: gateByEpoch('jobs', subStores.jobs, epoch),
    nonces: gateByEpoch('nonces', subStores.nonces, epoch),
    leases: gateByEpoch('leases', subStores.leases, epoch),
    revocations: gateByEpoch('revocations', subStores.revocations, epoch),
    executors: gateByEpoch('executors', subStores.executors, epoch),
    joinTokens: gateByEpoch('joinTokens', subStores.joinTokens, epoch),
    counters: gateByEpoch('counters', subStores.counters, epoch),
    sets: gateByEpoch('sets', subStores.sets, epoch),
    ...lifecycle,
  };
  haOf.set(store, { epoch, ungated });
  return store;
}
