/**
 * The conformance suite through the ioredis Cluster client, against a one-node Redis Cluster that owns all
 * 16384 slots. Cluster mode makes Redis refuse any command or script whose declared keys span slots
 * (CROSSSLOT), so this checks the hash-tag layout of every operation.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { makeTempFolder } from '../helpers/kit.ts';
import { freePort } from '../helpers/redis_server.ts';
import { describeStateStore } from './describe_state_store.ts';
import { redisFixture, testConfig } from './redis_fixture.ts';

let node: ChildProcess | undefined;
let port = 0;
let folder: Awaited<ReturnType<typeof makeTempFolder>> | undefined;
let dir = '';

/** Connects once the freshly spawned server accepts connections. */
async function connectWhenUp(p: number): Promise<Redis> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const admin = new Redis(p, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
    admin.on('error', () => undefined);
    try {
      await admin.connect();
      return admin;
    } catch (err) {
      admin.disconnect();
      if (Date.now() > deadline) throw err;
      await delay(25);
    }
  }
}

async function startClusterNode(): Promise<void> {
  port = await freePort();
  folder = await makeTempFolder('crefgate-cluster-');
  dir = folder.path;
  node = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, 'nodes.conf'),
      '--dir', dir, '--save', '', '--appendonly', 'no', '--cluster-announce-ip', '127.0.0.1'],
    { stdio: 'ignore' },
  );
  const admin = await connectWhenUp(port);
  try {
    await admin.call('CLUSTER', 'ADDSLOTSRANGE', 0, 16383);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (String(await admin.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) return;
      await delay(50);
    }
    throw new Error('one-node cluster did not reach cluster_state:ok');
  } finally {
    admin.disconnect();
  }
}

describe('redis cluster (one node, all slots)', function () {
  this.timeout(30_000);
  before(startClusterNode);
  after(async () => {
    const child = node;
    if (child !== undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await folder?.remove();
  });

  describeStateStore('redis cluster', () => redisFixture(testConfig({ url: undefined, cluster: { nodes: [{ host: '127.0.0.1', port }] } })));
});
