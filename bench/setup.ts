/**
 * The benchmark's gateway: the embedded default's state folder (CA, certificates, keys, sealed local store as the
 * backend), switched to Redis state on a private redis-server and the file audit sink with group commit.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { CrefgateClient } from '../src/client/index.ts';
import type { Envelope } from '../src/envelope/schema.ts';
import { ensureDevState } from '../src/dev/bootstrap.ts';
import type { TlsIdentity } from './load.ts';

/** Writes the state folder under `dir` and returns the config file, Redis state at `redisUrl`. */
export async function prepareState(dir: string, redisUrl: string): Promise<string> {
  const dev = await ensureDevState(dir, 0);
  await writeFile(path.join(dir, 'keys', 'state-master.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const config = parse(await readFile(dev.configFile, 'utf8')) as Record<string, unknown>;
  config.state = { kind: 'redis', redis: { url: redisUrl, master_keys: [{ key_id: 'bench-1', file: 'keys/state-master.key' }] } };
  await writeFile(dev.configFile, stringify(config), { mode: 0o600 });
  return dev.configFile;
}

export function clientIdentity(dir: string, name: 'executor' | 'coordinator'): TlsIdentity {
  return {
    ca: readFileSync(path.join(dir, 'pki', 'ca.crt')),
    cert: readFileSync(path.join(dir, 'clients', `${name}.crt`)),
    key: readFileSync(path.join(dir, 'clients', `${name}.key`)),
  };
}

/** A coordinator issuing exec-01 envelopes for one static secret, `concurrency` at a time. */
export class EnvelopeSource {
  private readonly client: CrefgateClient;

  constructor(dir: string, port: number) {
    this.client = new CrefgateClient({ url: `https://127.0.0.1:${port}`, ...clientIdentity(dir, 'coordinator') });
  }

  async issue(): Promise<Envelope> {
    return await this.client.issueJob({
      tenant: 'tenant_abc',
      executor: 'exec-01',
      crefs: { github_token: 'cref://tenant_abc/github_token' },
      ttl: 3600,
    });
  }

  async issueMany(count: number, concurrency: number): Promise<Envelope[]> {
    const out: Envelope[] = [];
    let started = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (started < count) {
          started++;
          out.push(await this.issue());
        }
      }),
    );
    return out;
  }

  close(): void {
    this.client.close();
  }
}
