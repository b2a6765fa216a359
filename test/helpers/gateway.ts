/**
 * Starts a real gateway on 127.0.0.1 (mTLS, random port) from a fresh embedded-default state folder, with a
 * controllable clock, captured logs and helpers to read the audit trail. Every e2e test talks to it over sockets.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { CrefgateClient } from '../../src/client/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { ensureDevState } from '../../src/dev/bootstrap.ts';
import { versionFor } from '../../src/executors/secrets.ts';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { openEntry, readSealedFile } from '../../adapters/local/sealed_file.ts';
import { createCa, issueLeaf, loadCa } from '../../src/pki/ca.ts';
import { makeTempFolder } from './kit.ts';

export interface Clock {
  now: () => number;
  advance(ms: number): void;
}

/** A clock that follows real time plus an offset tests can move forward. */
export function testClock(): Clock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance: (ms) => {
      offset += ms;
    },
  };
}

export interface AuditLine {
  action: string;
  outcome: string;
  code?: string;
  step?: string;
  reason?: string;
  request_id?: string;
  job_id?: string;
  lease_ids?: string[];
  [key: string]: unknown;
}

export interface TestGateway {
  dir: string;
  url: string;
  gateway: Gateway;
  clock: Clock;
  logs: string[];
  config: Config;
  client(name: 'coordinator' | 'executor' | 'admin' | 'auditor' | string): CrefgateClient;
  /** exec-01's HMAC secret by kid, as the executor holds it. */
  hmac: Map<string, Buffer>;
  auditLines(): Promise<AuditLine[]>;
  auditFor(requestId: string): Promise<AuditLine>;
  /** Every secret value in the local store, to prove none leaks. */
  secretValues(): Promise<string[]>;
  /** Issues a client certificate for another executor identity under the test CA. */
  issueClient(name: string, uri: string): Promise<void>;
  close(): Promise<void>;
}

export async function startGateway(options: { mutate?: (config: Config) => void; gateway?: Partial<GatewayOptions> } = {}): Promise<TestGateway> {
  const folder = await makeTempFolder('crefgate-test-');
  const dir = folder.path;
  const dev = await ensureDevState(dir, 0);
  const { config, configDir } = await loadConfig(dev.configFile, {});
  config.gateway.port = 0;
  options.mutate?.(config);
  const clock = testClock();
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const gateway = await createGateway(config, { configDir, now: clock.now, logger: createLogger({ level: 'debug', destination }), replica: 'test', ...options.gateway });
  const { port } = await gateway.listen();
  const url = `https://127.0.0.1:${port}`;
  const clients: CrefgateClient[] = [];
  const version = versionFor(Buffer.from(readFileSync(path.join(dir, 'executors', 'exec-01.hmac'), 'utf8').trim(), 'base64url'), 0);
  const auditFile = path.join(dir, 'audit', 'crefgate.log');
  const auditLines = async () =>
    (await readFile(auditFile, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AuditLine);
  return {
    dir,
    url,
    gateway,
    clock,
    logs,
    config,
    hmac: new Map([[version.kid, version.secret]]),
    client(name) {
      const client = new CrefgateClient({
        url,
        ca: readFileSync(path.join(dir, 'pki', 'ca.crt')),
        cert: readFileSync(path.join(dir, 'clients', `${name}.crt`)),
        key: readFileSync(path.join(dir, 'clients', `${name}.key`)),
      });
      clients.push(client);
      return client;
    },
    auditLines,
    async auditFor(requestId) {
      const line = (await auditLines()).find((l) => l.request_id === requestId);
      if (line === undefined) throw new Error(`no audit line for ${requestId}`);
      return line;
    },
    async secretValues() {
      const key = Buffer.from(readFileSync(path.join(dir, 'keys', 'local-store.key'), 'utf8').trim(), 'base64');
      const store = await readSealedFile(path.join(dir, 'local-secrets.json'), 'local-1');
      return Object.entries(store.entries).flatMap(([p, e]) => {
        const v = openEntry(key, p, e);
        return typeof v === 'string' ? [v] : Object.values(v).filter((x) => x.length >= 8);
      });
    },
    async issueClient(name, uri) {
      const ca = await loadCa(readFileSync(path.join(dir, 'pki', 'ca.crt'), 'utf8'), readFileSync(path.join(dir, 'pki', 'ca.key'), 'utf8'));
      const leaf = await issueLeaf(ca, { commonName: name, usage: 'client', uri });
      const { writeFile } = await import('node:fs/promises');
      await writeFile(path.join(dir, 'clients', `${name}.crt`), leaf.cert);
      await writeFile(path.join(dir, 'clients', `${name}.key`), leaf.key, { mode: 0o600 });
    },
    async close() {
      for (const c of clients) c.close();
      await gateway.close();
      await folder.remove();
    },
  };
}

/** A certificate from a CA the gateway does not trust. */
export async function foreignClient(url: string, gatewayCa: string): Promise<CrefgateClient> {
  const ca = await createCa('someone else');
  const leaf = await issueLeaf(ca, { commonName: 'intruder', usage: 'client', uri: 'spiffe://crefgate.local/tenant/tenant_abc/executor/exec-01' });
  return new CrefgateClient({ url, ca: gatewayCa, cert: leaf.cert, key: leaf.key });
}
