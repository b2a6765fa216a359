/**
 * A real Redis Cluster for tests: six cluster-enabled redis-servers (three masters, one replica each) on free
 * loopback ports in a temporary folder, joined with `redis-cli --cluster create … --cluster-replicas 1`. Helpers
 * move a slot by hand (SETSLOT IMPORTING/MIGRATING + MIGRATE + SETSLOT NODE, the steps `redis-cli --cluster
 * reshard` takes) and fail a master over. Every process runs in its own process group; `stop()` kills them all.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './redis_server.ts';
import { isOurs, isRunning, killAllAndRemove, killProcess, pollUntil, redisAdmin as admin, startRedisProcess, type RedisProcess } from './redis_processes.ts';

const run = promisify(execFile);

export type ClusterNode = RedisProcess;

const until = (what: string, withinMs: number, check: () => Promise<boolean>) => pollUntil('redis cluster', what, withinMs, check);

export class RedisClusterDeployment {
  readonly dir: string;
  readonly nodes: ClusterNode[] = [];

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Starts six nodes, creates the cluster and waits until every node reports cluster_state:ok. */
  static async start(): Promise<RedisClusterDeployment> {
    const cluster = new RedisClusterDeployment(mkdtempSync(path.join(tmpdir(), 'crefgate-cluster6-')));
    try {
      await cluster.boot();
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** Seed nodes for `state.redis.cluster.nodes`. */
  get seeds(): Array<{ host: string; port: number }> {
    return this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  }

  private async boot(): Promise<void> {
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      this.nodes.push({ port, child: this.spawnNode(port) });
    }
    for (const n of this.nodes) await until(`node ${n.port} answers`, 10_000, () => isOurs(n.port, n.child));
    await run('redis-cli', ['--cluster', 'create', ...this.nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 30_000 });
    await this.settle();
  }

  private spawnNode(port: number): ChildProcess {
    return startRedisProcess(['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
      '--cluster-config-file', path.join(this.dir, `nodes-${port}.conf`), '--cluster-node-timeout', '1000', '--dir', this.dir,
      '--dbfilename', `dump-${port}.rdb`, '--save', '', '--appendonly', 'no', '--cluster-announce-ip', '127.0.0.1']);
  }

  /**
   * Starts a killed node again on its port, empty but with its nodes.conf: it rejoins the cluster under its node
   * id and, its slots having moved to its promoted replica, becomes that replica's replica.
   */
  async restart(port: number): Promise<void> {
    const node = this.nodes.find((n) => n.port === port)!;
    if (isRunning(node.child)) throw new Error(`node ${port} still runs`);
    node.child = this.spawnNode(port);
    const child = node.child;
    await until(`node ${port} back`, 10_000, () => isOurs(port, child));
  }

  /** Waits until every live node says cluster_state:ok and every replica's link to its master is up. */
  async settle(withinMs = 20_000): Promise<void> {
    for (const n of this.live()) {
      await until(`node ${n.port} ok`, withinMs, () => admin(n.port, async (r) => {
        if (!String(await r.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
        const info = String(await r.info('replication'));
        return info.includes('role:master') || info.includes('master_link_status:up');
      }));
    }
  }

  private live(): ClusterNode[] {
    return this.nodes.filter((n) => isRunning(n.child));
  }

  /** Node id and port of each master, and of its replicas, as a live node sees them. */
  async topology(): Promise<Array<{ id: string; port: number; master: string | null; slots: string[] }>> {
    const text = String(await admin(this.live()[0]!.port, (r) => r.call('CLUSTER', 'NODES')));
    return text.trim().split('\n').map((line) => {
      const [id, addr, flags, master, , , , , ...slots] = line.split(' ');
      return { id: id!, port: Number(addr!.split('@')[0]!.split(':')[1]), master: flags!.includes('master') ? null : master!, slots, flags: flags! };
    }).filter((n) => !(n as { flags: string }).flags.includes('fail'));
  }

  /** The port of the master that serves `slot`. */
  async ownerOf(slot: number): Promise<{ id: string; port: number }> {
    const slots = (await admin(this.live()[0]!.port, (r) => r.call('CLUSTER', 'SLOTS'))) as Array<[number, number, [string, number, string]]>;
    const range = slots.find(([from, to]) => slot >= from && slot <= to);
    if (range === undefined) throw new Error(`slot ${slot} has no owner`);
    return { port: range[2][1], id: range[2][2] };
  }

  /** The masters that serve slots, from CLUSTER SLOTS (CLUSTER NODES can lag behind a failover by a gossip round). */
  async masters(): Promise<Array<{ id: string; port: number }>> {
    const slots = (await admin(this.live()[0]!.port, (r) => r.call('CLUSTER', 'SLOTS'))) as Array<[number, number, [string, number, string]]>;
    const byId = new Map(slots.map(([, , [, port, id]]) => [id, { id, port }]));
    return [...byId.values()];
  }

  /** Slot of a key (CLUSTER KEYSLOT). */
  async slotOf(key: string): Promise<number> {
    return Number(await admin(this.live()[0]!.port, (r) => r.call('CLUSTER', 'KEYSLOT', key)));
  }

  /**
   * Moves `slot` to another master while clients keep going: IMPORTING on the target, MIGRATING on the source
   * (from here on clients get ASK for keys already moved), MIGRATE the keys in batches with `pauseMs` between
   * them (the window in which ASK is answered), then SETSLOT NODE everywhere (clients get MOVED).
   */
  async migrateSlot(slot: number, pauseMs = 200): Promise<{ from: number; to: number }> {
    const source = await this.ownerOf(slot);
    const masters = await this.masters();
    const target = masters.find((m) => m.id !== source.id)!;
    await admin(target.port, (r) => r.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id));
    await admin(source.port, (r) => r.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id));
    for (;;) {
      const keys = (await admin(source.port, (r) => r.call('CLUSTER', 'GETKEYSINSLOT', slot, 2))) as string[];
      if (keys.length === 0) break;
      await admin(source.port, (r) => r.call('MIGRATE', '127.0.0.1', target.port, '', 0, 5000, 'KEYS', ...keys));
      await delay(pauseMs);
    }
    for (const m of masters) await admin(m.port, (r) => r.call('CLUSTER', 'SETSLOT', slot, 'NODE', target.id));
    return { from: source.port, to: target.port };
  }

  /** CLUSTER FAILOVER on a replica of the master on `masterPort`; resolves once that replica is a master. */
  async failover(masterPort: number, withinMs = 15_000): Promise<{ from: number; to: number }> {
    const nodes = await this.topology();
    const master = nodes.find((n) => n.port === masterPort)!;
    const replica = nodes.find((n) => n.master === master.id);
    if (replica === undefined) throw new Error(`master ${masterPort} has no replica`);
    await admin(replica.port, (r) => r.call('CLUSTER', 'FAILOVER'));
    await until(`replica ${replica.port} promoted`, withinMs, () => admin(replica.port, async (r) => String(await r.info('replication')).includes('role:master')));
    await this.settle(withinMs);
    return { from: masterPort, to: replica.port };
  }

  /** SIGKILLs the node on `port`. */
  async kill(port: number): Promise<void> {
    await killProcess(this.nodes.find((n) => n.port === port)!.child);
  }

  /** Kills every node, waits for them and removes the folder. Safe after a failed start. */
  async stop(): Promise<void> {
    await killAllAndRemove(this.nodes.map((n) => n.child), this.dir);
  }
}
