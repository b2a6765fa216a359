/**
 * Coalesces the Redis socket writes of one event-loop turn into one write. ioredis writes each command to the
 * socket as it is sent; on the resolve path every write is a syscall that wakes the Redis process, and the
 * benchmark profile had these writes as the largest single cost (docs/performance.md). Corking the socket at the
 * first write of a turn and uncorking it from setImmediate sends everything the turn produced (the reservations
 * of all requests read in one poll phase, the commits of one audit batch) as one writev.
 *
 * What it does not change: every command is still sent, in the order it was issued, before the event loop can
 * block again (an immediate keeps the loop from waiting in poll); each command keeps its own reply and its own
 * `commandTimeout`, so the fail-closed time bound of guard.ts holds unchanged. ioredis' own auto-pipelining was
 * not used: it allocates a pipeline per batch and promoted whole requests to the old generation (see
 * docs/performance.md, "not kept").
 */
import type { Writable } from 'node:stream';
import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './connect.ts';

const corked = new WeakSet<Writable>();

/** Makes the socket's writes of one turn leave together. Idempotent per socket. */
export function corkPerTurn(stream: Writable): void {
  if (corked.has(stream)) return;
  corked.add(stream);
  let pending = false;
  const flush = (): void => {
    pending = false;
    stream.uncork();
  };
  const write = stream.write;
  const coalescing = function (this: Writable, ...args: unknown[]): boolean {
    if (!pending) {
      pending = true;
      stream.cork();
      setImmediate(flush);
    }
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  };
  stream.write = coalescing as Writable['write'];
}

function attachNode(redis: Redis): void {
  // A reconnect gives the client a new socket: cork each one as it connects.
  redis.on('connect', () => corkPerTurn(redis.stream));
  if (redis.stream !== undefined) corkPerTurn(redis.stream);
}

/** Coalesces the writes of a client not yet connected (lazyConnect), and of every Cluster node it adds later. */
export function coalesceWrites(client: RedisClient): void {
  if (client instanceof Cluster) {
    client.on('+node', (node: Redis) => attachNode(node));
    for (const node of client.nodes()) attachNode(node);
    return;
  }
  attachNode(client);
}
