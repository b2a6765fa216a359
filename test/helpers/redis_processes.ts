/**
 * The process handling the multi-server Redis deployments (test/helpers/redis_cluster.ts, redis_sentinel.ts)
 * share: each `redis-server` in its own process group, a short-lived admin connection, a check that the server
 * on a port is the one we spawned, polling until a condition holds, and SIGKILLing a group and waiting for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** One spawned server (data node, cluster node or sentinel) and the port it was told to bind. */
export interface RedisProcess {
  port: number;
  child: ChildProcess;
}

/** Starts `redis-server args`; detached: its own process group, so a kill reaches anything it forks (diskless sync children). */
export function startRedisProcess(args: string[]): ChildProcess {
  const child = spawn('redis-server', args, { stdio: 'ignore', detached: true });
  child.unref();
  return child;
}

/** True while the process has neither exited nor been killed by a signal. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || !isRunning(child)) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** SIGKILLs the process group and resolves once the process has exited. */
export async function killProcess(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  killGroup(child);
  await exited;
}

/** Kills every process still running, waits (at most 5 s) for them to exit, and removes `dir`. */
export async function killAllAndRemove(children: ChildProcess[], dir: string): Promise<void> {
  const alive = children.filter(isRunning);
  const exited = alive.map((c) => new Promise((resolve) => c.once('exit', resolve)));
  for (const c of alive) killGroup(c);
  await Promise.race([Promise.all(exited), delay(5000)]);
  rmSync(dir, { recursive: true, force: true });
}

/** Runs `work` on a short-lived admin connection to 127.0.0.1:`port` that never retries. */
export async function redisAdmin<T>(port: number, work: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 500 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await work(r);
  } finally {
    r.disconnect();
  }
}

/**
 * True once the server on `port` is the process we spawned: a port found free can be taken by a parallel run
 * before our server binds it, and then we would be talking to (and failing over, flushing…) someone else's.
 */
export async function isOurs(port: number, child: ChildProcess): Promise<boolean> {
  if (!isRunning(child)) throw new Error(`redis-server for port ${port} exited (port taken?)`);
  return await redisAdmin(port, async (r) => new RegExp(`process_id:${child.pid}\\b`).test(String(await r.info('server'))));
}

/** Polls `check` every 50 ms (a throw counts as "not yet") until it is true; after `withinMs`, fails as `<label>: <what>`. */
export async function pollUntil(label: string, what: string, withinMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // Not up yet.
    }
    if (Date.now() > deadline) throw new Error(`${label}: ${what} within ${withinMs} ms`);
    await delay(50);
  }
}
