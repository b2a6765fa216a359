/**
 * Durability across failover (`state.redis.min_replicas_acked`). Redis replicates asynchronously: a master that
 * dies right after answering can take its last writes with it, and a forgotten burned nonce is a replay the dead
 * node had refused. This caller makes every write of the stores that guard a secret wait for `WAIT numreplicas
 * timeout` before it counts, and fails closed (StateUnavailableError) when too few replicas acknowledged.
 *
 * WAIT counts the writes of the connection it is sent on, so it is pipelined right behind the write on the same
 * connection (no extra round trip). On Cluster the pipeline goes to the node that owns the key's slot; a MOVED
 * or ASK answer (slot migration) is followed by hand to the named node, WAIT included, because ioredis does not
 * retry a pipeline in which only one command was redirected.
 */
import type { Cluster, Redis } from 'ioredis';
import { StateUnavailableError } from '../contract.ts';
import type { RedisClient } from './connect.ts';
import { isReplyError } from './guard.ts';
import type { Arg, RedisCaller } from './script.ts';

export interface DurabilityOptions {
  /** Replicas that must acknowledge each write; 0 disables the layer. */
  replicas: number;
  /** WAIT's own timeout, ms. */
  timeoutMs: number;
}

/** Commands the stores send directly that change nothing: they need no acknowledgement. */
const READ_ONLY = new Set(['GET', 'MGET', 'HGET', 'HMGET', 'HGETALL', 'EXISTS', 'HEXISTS', 'SMEMBERS', 'SCARD', 'ZCARD',
  'ZRANGEBYSCORE', 'XLEN', 'XPENDING', 'XRANGE', 'PTTL', 'PING']);

/** MOVED/ASK redirections followed at most this many times per write (a slot moves once, then settles). */
const MAX_REDIRECTIONS = 5;

type Reply = [Error | null, unknown];

function isCluster(client: RedisClient): client is Cluster {
  return (client as Cluster).isCluster === true;
}

/** Runs `command` then WAIT on one connection; returns both replies. */
async function writeThenWait(conn: Redis | Cluster, asking: boolean, command: string, args: Arg[], options: DurabilityOptions): Promise<Reply[]> {
  const pipeline = conn.pipeline();
  if (asking) pipeline.call('ASKING');
  pipeline.call(command, ...args);
  pipeline.call('WAIT', options.replicas, options.timeoutMs);
  const replies = ((await pipeline.exec()) ?? []) as Reply[];
  return asking ? replies.slice(1) : replies;
}

/** The node named by a MOVED/ASK error (`MOVED 3999 127.0.0.1:6381`), and whether it was ASK. */
function redirection(err: Error): { ask: boolean; host: string; port: number } | undefined {
  const match = /^(MOVED|ASK) \d+ (.+):(\d+)$/.exec(err.message);
  return match === null ? undefined : { ask: match[1] === 'ASK', host: match[2]!, port: Number(match[3]) };
}

function nodeAt(cluster: Cluster, host: string, port: number): Redis | undefined {
  return cluster.nodes('all').find((n) => n.options.host === host && n.options.port === port);
}

/**
 * Wraps `client` so that every write of the returned caller waits for `options.replicas` acknowledgements.
 * WAIT blocks the connection it is sent on until the replicas answer, and everything pipelined behind it waits
 * too; so writes are spread over `writers` (standalone/Sentinel: duplicates of the client) and reads stay on
 * `client`. A Cluster client has one connection per node: its writes share it.
 */
export function durableCaller(client: RedisClient, options: DurabilityOptions, writers: RedisClient[] = [client]): RedisCaller {
  const plain = client as unknown as RedisCaller;
  if (options.replicas <= 0) return plain;
  let turn = 0;
  return {
    async call(command: string, ...args: Arg[]): Promise<unknown> {
      if (READ_ONLY.has(command.toUpperCase())) return await plain.call(command, ...args);
      turn = (turn + 1) % writers.length;
      let conn: Redis | Cluster = writers[turn]!;
      let asking = false;
      for (let hop = 0; ; hop++) {
        const [write, wait] = await writeThenWait(conn, asking, command, args, options);
        const writeError = write?.[0];
        if (writeError !== null && writeError !== undefined) {
          const moved = isReplyError(writeError) && isCluster(client) ? redirection(writeError) : undefined;
          if (moved === undefined || hop >= MAX_REDIRECTIONS) throw writeError;
          const node = nodeAt(client as Cluster, moved.host, moved.port);
          if (node === undefined) {
            // A node the client has not met yet: learn the new layout; the caller's retry will find it.
            void (client as Cluster).refreshSlotsCache();
            throw new StateUnavailableError(`write redirected to unknown node ${moved.host}:${moved.port}`);
          }
          if (!moved.ask) void (client as Cluster).refreshSlotsCache();
          conn = node;
          asking = moved.ask;
          continue;
        }
        if (wait?.[0] !== null && wait?.[0] !== undefined) throw wait[0];
        const acked = Number(wait?.[1]);
        if (!(acked >= options.replicas)) {
          // The write is applied on the master but may not survive a failover: the caller treats it as unknown
          // (a reserve is released, a consume reverted), exactly as for a lost answer.
          throw new StateUnavailableError(`${command}: ${acked} of ${options.replicas} replicas acknowledged within ${options.timeoutMs} ms`);
        }
        return write?.[1];
      }
    },
  };
}
