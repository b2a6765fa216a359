/**
 * Builds the ioredis client for the configured topology (standalone URL, Sentinel or Cluster) with fail-closed
 * options: no offline queue (a command while disconnected fails at once), one retry per request, every
 * command bounded by `command_timeout_ms`, and endless background reconnection so the gateway recovers alone.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { GatewayError } from '../../errors.ts';
import type { RedisConfig } from '../config.ts';
import { StateUnavailableError } from '../contract.ts';

export type RedisClient = Redis | Cluster;

export interface ConnectOptions {
  env: NodeJS.ProcessEnv;
  configDir: string;
}

/** Reconnect backoff: quick first retries, then at most every 2 s, forever. */
const reconnectDelay = (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 2000);

function configError(reason: string): GatewayError {
  return new GatewayError('internal', { reason: `state.redis config: ${reason}` });
}

function tlsOptions(config: RedisConfig, configDir: string): ConnectionOptions | undefined {
  if (config.tls === undefined) return undefined;
  const read = (file: string | undefined): Buffer | undefined =>
    file === undefined ? undefined : readFileSync(path.resolve(configDir, file));
  return {
    ca: read(config.tls.ca_file),
    cert: read(config.tls.cert_file),
    key: read(config.tls.key_file),
    servername: config.tls.servername,
  };
}

function password(config: RedisConfig, env: NodeJS.ProcessEnv): string | undefined {
  if (config.password_env === undefined) return undefined;
  const value = env[config.password_env];
  if (value === undefined || value === '') throw configError(`environment variable ${config.password_env} is not set`);
  return value;
}

/** Creates the client (not yet connected). Configuration mistakes throw here, at start-up. */
export function createClient(config: RedisConfig, options: ConnectOptions): RedisClient {
  const topologies = [config.url, config.sentinel, config.cluster].filter((t) => t !== undefined).length;
  if (topologies > 1) throw configError('set only one of url, sentinel, cluster');
  const tls = tlsOptions(config, options.configDir);
  const common: RedisOptions = {
    username: config.username,
    password: password(config, options.env),
    commandTimeout: config.command_timeout_ms,
    connectTimeout: config.connect_timeout_ms,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
    protocol: 2,
    ...(tls === undefined ? {} : { tls }),
  };
  if (config.cluster !== undefined) {
    return new Cluster(config.cluster.nodes, {
      enableOfflineQueue: false,
      lazyConnect: true,
      clusterRetryStrategy: reconnectDelay,
      slotsRefreshTimeout: config.connect_timeout_ms,
      // Never a replica: a replica can be behind its master, and a stale "no such nonce" is a replay.
      scaleReads: 'master',
      redisOptions: common,
    });
  }
  if (config.sentinel !== undefined) {
    return new Redis({
      ...common,
      sentinels: config.sentinel.sentinels,
      name: config.sentinel.name,
      // Only the master, for reads too (see scaleReads above); ioredis also checks ROLE after each connect.
      role: 'master',
      // Subscribe to +switch-master on the sentinels: reconnect as soon as they promote, not at the next error.
      failoverDetector: true,
      // A demoted master answers READONLY: the command fails closed, and the connection is rebuilt via Sentinel.
      reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 1 : false),
      sentinelPassword: common.password,
      ...(tls === undefined ? {} : { enableTLSForSentinelMode: true, sentinelTLS: tls }),
      sentinelRetryStrategy: reconnectDelay,
      retryStrategy: reconnectDelay,
    });
  }
  const url = config.url ?? options.env.REDIS_URL;
  if (url === undefined || url === '') throw configError('no url, sentinel or cluster (and REDIS_URL is not set)');
  return new Redis(url, { ...common, retryStrategy: reconnectDelay });
}

/** Connects, waiting at most `timeoutMs`; on failure the client is torn down and StateUnavailableError thrown. */
export async function connectClient(client: RedisClient, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not ready within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    client.disconnect();
    throw new StateUnavailableError(`cannot connect: ${err instanceof Error ? err.message : String(err)}`, err);
  } finally {
    clearTimeout(timer);
  }
}
