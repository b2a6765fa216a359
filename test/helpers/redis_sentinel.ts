/**
 * A real Sentinel deployment for tests, in a temporary folder on free loopback ports (never 6379): one master,
 * `replicas` replicas and three sentinels (`redis-server <conf> --sentinel`) with quorum 2. Every process runs in
 * its own process group and is SIGKILLed by `stop()`, which tests call from `after` even when they fail.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { freePort } from './redis_server.ts';
import { isOurs, isRunning, killAllAndRemove, killProcess, pollUntil, redisAdmin as admin, startRedisProcess as startProcess, type RedisProcess } from './redis_processes.ts';

export interface SentinelOptions {
  replicas?: number;
  /**
   * Seconds the master waits before it starts a replica's first (diskless) sync: a replica is then connected but
   * still empty for that long — the "promoted before its first sync" case.
   */
  firstSyncDelaySeconds?: number;
}

type Node = RedisProcess;

const NAME = 'crefgate';

const until = (what: string, withinMs: number, check: () => Promise<boolean>) => pollUntil('sentinel deployment', what, withinMs, check);

export class SentinelDeployment {
  readonly name = NAME;
  readonly dir: string;
  /** Data nodes by port; the first one started as master. */
  readonly nodes: Node[] = [];
  readonly sentinels: Node[] = [];

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Starts everything and waits until the sentinels agree on the master and see every replica and each other. */
  static async start(options: SentinelOptions = {}): Promise<SentinelDeployment> {
    const deployment = new SentinelDeployment(mkdtempSync(path.join(tmpdir(), 'crefgate-sentinel-')));
    try {
      await deployment.boot(options.replicas ?? 1, options.firstSyncDelaySeconds);
      return deployment;
    } catch (err) {
      await deployment.stop();
      throw err;
    }
  }

  /** `host`/`port` list for `state.redis.sentinel.sentinels`. */
  get sentinelAddresses(): Array<{ host: string; port: number }> {
    return this.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port }));
  }

  private syncDelay = 0;

  private dataArgs(port: number): string[] {
    return ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir,
      '--dbfilename', `dump-${port}.rdb`, '--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', String(this.syncDelay),
      '--repl-diskless-sync-max-replicas', '0'];
  }

  private async boot(replicas: number, firstSyncDelaySeconds: number | undefined): Promise<void> {
    this.syncDelay = firstSyncDelaySeconds ?? 0;
    const dataArgs = (port: number) => this.dataArgs(port);
    const masterPort = await freePort();
    const master = startProcess(dataArgs(masterPort));
    this.nodes.push({ port: masterPort, child: master });
    await until('master answers', 10_000, () => isOurs(masterPort, master));
    for (let i = 0; i < replicas; i++) {
      const port = await freePort();
      const child = startProcess([...dataArgs(port), '--replicaof', '127.0.0.1', String(masterPort)]);
      this.nodes.push({ port, child });
      await until(`replica ${port} answers`, 10_000, () => isOurs(port, child));
    }
    const replicaPorts = this.nodes.slice(1).map((n) => n.port);
    if (firstSyncDelaySeconds === undefined) {
      for (const port of replicaPorts) {
        await until(`replica ${port} in sync`, 10_000, () => admin(port, async (r) => String(await r.info('replication')).includes('master_link_status:up')));
      }
    }
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = path.join(this.dir, `sentinel-${port}.conf`);
      writeFileSync(conf, [`port ${port}`, 'bind 127.0.0.1', `dir ${this.dir}`, `sentinel monitor ${NAME} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${NAME} 1000`, `sentinel failover-timeout ${NAME} 5000`, `sentinel parallel-syncs ${NAME} 2`, ''].join('\n'));
      const child = startProcess([conf, '--sentinel']);
      this.sentinels.push({ port, child });
      await until(`sentinel ${port} answers`, 10_000, () => isOurs(port, child));
    }
    await this.agree(masterPort, replicas);
  }

  /** Waits until every sentinel names `masterPort` as master and sees `replicas` replicas and the two other sentinels. */
  async agree(masterPort: number, replicas: number, withinMs = 20_000): Promise<void> {
    for (const s of this.sentinels) {
      await until(`sentinel ${s.port} agrees on master ${masterPort}`, withinMs, () =>
        admin(s.port, async (r) => {
          const addr = (await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME)) as [string, string] | null;
          if (addr === null || Number(addr[1]) !== masterPort) return false;
          const fields = (await r.call('SENTINEL', 'MASTER', NAME)) as string[];
          const field = (name: string) => Number(fields[fields.indexOf(name) + 1]);
          return field('num-slaves') >= replicas && field('num-other-sentinels') === 2;
        }));
    }
  }

  /** The port every sentinel currently names as master (throws if they disagree). */
  async masterPort(): Promise<number> {
    const ports = new Set<number>();
    for (const s of this.sentinels) {
      const addr = await admin(s.port, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME)) as [string, string];
      ports.add(Number(addr[1]));
    }
    if (ports.size !== 1) throw new Error(`sentinels disagree: ${[...ports].join(', ')}`);
    return [...ports][0]!;
  }

  /** `SENTINEL FAILOVER` on one sentinel; resolves with the new master's port once every sentinel names it. */
  async failover(withinMs = 20_000): Promise<{ from: number; to: number }> {
    const from = await this.masterPort();
    await admin(this.sentinels[0]!.port, (r) => r.call('SENTINEL', 'FAILOVER', NAME));
    let to = from;
    await until('failover completes', withinMs, async () => {
      to = await this.masterPort();
      return to !== from && (await admin(to, async (r) => String(await r.info('replication')).includes('role:master')));
    });
    return { from, to };
  }

  /** SIGKILLs the data node on `port` (a crash, no goodbye to its clients). */
  async kill(port: number): Promise<void> {
    const node = this.nodes.find((n) => n.port === port);
    if (node === undefined) throw new Error(`no data node on ${port}`);
    await killProcess(node.child);
  }

  /** Starts an empty data node again on the port of a killed one (a crashed node that comes back). */
  async restart(port: number): Promise<void> {
    const node = this.nodes.find((n) => n.port === port);
    if (node === undefined) throw new Error(`no data node on ${port}`);
    if (isRunning(node.child)) throw new Error(`data node on ${port} still runs`);
    node.child = startProcess(this.dataArgs(port));
    const child = node.child;
    await until(`node ${port} back`, 10_000, () => isOurs(port, child));
  }

  /** Runs `work` with a short-lived admin connection to the data node on `port`. */
  admin<T>(port: number, work: (r: Redis) => Promise<T>): Promise<T> {
    return admin(port, work);
  }

  /** Kills every process, waits for them to exit and removes the folder. Safe to call twice and after a failed start. */
  async stop(): Promise<void> {
    await killAllAndRemove([...this.sentinels, ...this.nodes].map((n) => n.child), this.dir);
  }
}
