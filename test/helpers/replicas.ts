/**
 * Several real gateway processes (`crefgate serve`) sharing one Redis: the scale-out shape of production.
 * Each replica has its own port, audit log and origin; certificates, keys and the master key are shared.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { CrefgateClient } from '../../src/client/index.ts';
import { ensureDevState } from '../../src/dev/bootstrap.ts';
import { versionFor } from '../../src/executors/secrets.ts';
import { GATEWAY_NODE_FLAGS } from '../../src/runtime_flags.ts';
import type { AuditLine } from './gateway.ts';
import { freePort } from './redis_server.ts';
import { makeTempFolder } from './kit.ts';

/** The parts of the config document the replica tests edit. */
export interface ConfigDoc {
  gateway: { port: number };
  audit: { origin?: string; sinks: unknown[] };
  state: unknown;
  leases: unknown;
  mounts: Record<string, unknown>;
  routes: unknown[];
  [key: string]: unknown;
}

const CLI = path.resolve(import.meta.dirname, '../../src/cli.ts');

export interface Replica {
  name: string;
  port: number;
  url: string;
  process: ChildProcess | undefined;
  output: string[];
  auditFile: string;
  client(as: string): CrefgateClient;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface ReplicaSet {
  dir: string;
  /** Redis key prefix of this set's state (each set has its own). */
  keyPrefix: string;
  replicas: Replica[];
  hmac: Map<string, Buffer>;
  close(): Promise<void>;
}

async function waitForListening(replica: Replica, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (replica.output.some((l) => l.includes('crefgate listening'))) return;
    if (replica.process?.exitCode !== null && replica.process?.exitCode !== undefined) throw new Error(`${replica.name} exited: ${replica.output.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${replica.name} did not start: ${replica.output.join('')}`);
}

/** Starts `count` replicas on Redis at `redisUrl`; `mutate` edits the shared config document. */
export async function startReplicas(count: number, redisUrl: string, options: { mutate?: (doc: ConfigDoc) => void; env?: NodeJS.ProcessEnv } = {}): Promise<ReplicaSet> {
  const folder = await makeTempFolder('crefgate-replicas-');
  const dir = folder.path;
  const dev = await ensureDevState(dir, 0);
  await writeFile(path.join(dir, 'keys', 'master.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const base = parse(await readFile(dev.configFile, 'utf8')) as ConfigDoc;
  const keyPrefix = `t${randomBytes(4).toString('hex')}:`;
  base.state = { kind: 'redis', redis: { url: redisUrl, key_prefix: keyPrefix, command_timeout_ms: 300, master_keys: [{ key_id: 'm1', file: 'keys/master.key' }] } };
  base.leases = { sweep_interval_ms: 200, static_lease_seconds: 900, revocation_stale_after_ms: 1500 };
  options.mutate?.(base);
  const clients: CrefgateClient[] = [];
  const replicas: Replica[] = [];
  for (let i = 0; i < count; i++) {
    const name = `replica-${i}`;
    const port = await freePort();
    const doc = structuredClone(base);
    doc.gateway.port = port;
    doc.audit.origin = `crefgate/${name}`;
    doc.ops = { port: 0 };
    doc.audit.sinks = [{ type: 'file', name: 'file', required: true, path: `audit/${name}.log` }];
    const configFile = path.join(dir, `${name}.yaml`);
    await writeFile(configFile, stringify(doc), { mode: 0o600 });
    const replica: Replica = {
      name,
      port,
      url: `https://127.0.0.1:${port}`,
      process: undefined,
      output: [],
      auditFile: path.join(dir, 'audit', `${name}.log`),
      client(as) {
        const c = new CrefgateClient({
          url: `https://127.0.0.1:${port}`,
          ca: readFileSync(path.join(dir, 'pki', 'ca.crt')),
          cert: readFileSync(path.join(dir, 'clients', `${as}.crt`)),
          key: readFileSync(path.join(dir, 'clients', `${as}.key`)),
        });
        clients.push(c);
        return c;
      },
      async kill(signal = 'SIGKILL') {
        const child = replica.process;
        if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill(signal);
        // A graceful stop may wait on a hung backend call; do not let a test hang on it.
        const escalate = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(escalate);
      },
    };
    const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, CLI, 'serve', '--config', configFile], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => replica.output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => replica.output.push(d.toString()));
    replica.process = child;
    replicas.push(replica);
    // Mocha may exit (timeout, --exit) before after-hooks finish; never leave a gateway running behind a test.
    process.once('exit', () => child.kill('SIGKILL'));
  }
  await Promise.all(replicas.map((r) => waitForListening(r, 20_000)));
  const version = versionFor(Buffer.from(readFileSync(path.join(dir, 'executors', 'exec-01.hmac'), 'utf8').trim(), 'base64url'), 0);
  return {
    dir,
    keyPrefix,
    replicas,
    hmac: new Map([[version.kid, version.secret]]),
    async close() {
      for (const c of clients) c.close();
      await Promise.all(replicas.map((r) => r.kill('SIGTERM')));
      await folder.remove();
    },
  };
}

/** Parsed audit lines of one replica. */
export async function auditOf(replica: Replica): Promise<AuditLine[]> {
  const text = await readFile(replica.auditFile, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as AuditLine);
}
