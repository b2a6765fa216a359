/**
 * The proxy test bench: a gateway (real mTLS listener) whose routes deliver through the proxy to a local HTTPS
 * upstream — a header-template route (GitHub-style `token …`), a custom header, HTTP Basic, AWS SigV4 with STS
 * credentials from the STS emulator, and a route whose upstream CA is not configured (must fail verification).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../../src/config/schema.ts';
import type { RouteProxy } from '../../src/proxy/config.ts';
import { openEntry, readSealedFile } from '../../adapters/local/sealed_file.ts';
import { readFileSync } from 'node:fs';
import { StsEmulator } from '../adapters/aws/emulator/sts.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { makeTempFolder } from '../helpers/kit.ts';
import { Upstream } from './upstream.ts';

export const GH = 'cref://tenant_abc/gh/github_token';
export const APIKEY = 'cref://tenant_abc/apikey/npm_token';
export const BASIC = 'cref://tenant_abc/basic/db';
export const AWS = 'cref://tenant_abc/aws-role/reader';
export const UNTRUSTED = 'cref://tenant_abc/untrusted/github_token';
/** A route with `proxy.required`: never delivered by value. */
export const ONLY_PROXY = 'cref://tenant_abc/only/github_token';

export interface ProxyBench {
  gw: TestGateway;
  upstream: Upstream;
  sts: StsEmulator;
  /** The local store's value at `tenants/tenant_abc/<name>`. */
  secret(name: string): string | Record<string, string>;
  /** Issues a job for exec-01 with every alias delivered through the proxy; resolves it; returns the resolve. */
  proxied(crefs: Record<string, string>, ttl?: number): Promise<{ jobId: string; secrets: Record<string, { lease_id: string; proxy_url?: string; value?: unknown }> }>;
  /** Runs curl as exec-01 (its client certificate) with extra arguments; returns status, headers and body. */
  curl(args: string[], as?: string): Promise<{ status: number; headers: string; body: string }>;
  close(): Promise<void>;
}

const run = promisify(execFile);

export async function startProxyBench(mutate?: (config: Config) => void): Promise<ProxyBench> {
  const upstream = new Upstream();
  await upstream.start();
  const sts = new StsEmulator('eu-west-1');
  const stsEndpoint = await sts.start();
  // Learn the STS credentials as they cross the wire, so the upstream can verify the proxy's signatures.
  const stsInternals = sts as unknown as { handle: (req: unknown, body: string) => { body: string } | undefined };
  const handle = stsInternals.handle.bind(sts);
  stsInternals.handle = (req, body) => {
    const reply = handle(req, body);
    const get = (tag: string) => new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(reply?.body ?? '')?.[1];
    const id = get('AccessKeyId');
    if (id !== undefined) upstream.awsKeys.set(id, { secretAccessKey: get('SecretAccessKey')!, sessionToken: get('SessionToken') });
    return reply;
  };
  process.env.CREFGATE_PROXY_AWS_KEY = 'AKIACREFGATEPROXY001';
  process.env.CREFGATE_PROXY_AWS_SECRET = 'not-a-real-secret-key';
  const proxy = (inject: RouteProxy['inject'], extra: Partial<RouteProxy> = {}): RouteProxy => ({
    upstream: upstream.origin,
    methods: ['GET', 'HEAD', 'POST'],
    path_prefixes: ['/repos/', '/slow', '/echo', '/redirect-out', '/redirect-in', '/redirect-echo'],
    inject,
    required: false,
    ca_file: caFile,
    ...extra,
  });
  const caDir = await makeTempFolder('crefgate-proxy-ca-');
  const caFile = path.join(caDir.path, 'upstream-ca.pem');
  writeFileSync(caFile, upstream.caCert);
  const gw = await startGateway({
    gateway: { workers: false },
    mutate: (config) => {
      config.mounts.sts = {
        adapter: 'aws-sts',
        options: { region: 'eu-west-1', endpoint: stsEndpoint, credentials: { access_key_id_env: 'CREFGATE_PROXY_AWS_KEY', secret_access_key_env: 'CREFGATE_PROXY_AWS_SECRET' }, account_id: '123456789012' },
        timeout_ms: 3000,
        retry: { attempts: 0, base_delay_ms: 10, max_delay_ms: 100 },
        breaker: { failure_threshold: 5, cooldown_ms: 10_000 },
      };
      config.routes.unshift(
        { cref: 'cref://{tenant}/gh/{name}', mount: 'local', path: 'tenants/{tenant}/{name}', dynamic: false, proxy: proxy({ kind: 'header', header: 'authorization', template: 'token {value}' }) },
        { cref: 'cref://{tenant}/apikey/{name}', mount: 'local', path: 'tenants/{tenant}/{name}', dynamic: false, proxy: proxy({ kind: 'header', header: 'x-api-key', template: '{value}' }) },
        { cref: 'cref://{tenant}/basic/{name}', mount: 'local', path: 'tenants/{tenant}/{name}', dynamic: false, proxy: proxy({ kind: 'basic', username_field: 'username', password_field: 'password' }, { methods: ['GET'] }) },
        { cref: 'cref://{tenant}/aws-role/{role}', mount: 'sts', path: '{role}', dynamic: true, proxy: proxy({ kind: 'aws_sigv4', service: 'secretsmanager', region: 'eu-west-1' }, { methods: ['POST'], path_prefixes: ['/'] }) },
        { cref: 'cref://{tenant}/only/{name}', mount: 'local', path: 'tenants/{tenant}/{name}', dynamic: false, proxy: proxy({ kind: 'header', header: 'authorization', template: 'token {value}' }, { required: true }) },
        { cref: 'cref://{tenant}/untrusted/{name}', mount: 'local', path: 'tenants/{tenant}/{name}', dynamic: false, proxy: { ...proxy({ kind: 'header', header: 'authorization', template: 'token {value}' }), ca_file: undefined } },
      );
      mutate?.(config);
    },
  }).catch(async (err) => {
    await Promise.allSettled([upstream.close(), sts.close()]);
    throw err;
  });
  const coordinator = gw.client('coordinator');
  const executor = gw.client('executor');
  const key = Buffer.from(readFileSync(path.join(gw.dir, 'keys', 'local-store.key'), 'utf8').trim(), 'base64');
  const store = await readSealedFile(path.join(gw.dir, 'local-secrets.json'), 'local-1');
  return {
    gw,
    upstream,
    sts,
    secret: (name) => openEntry(key, `tenants/tenant_abc/${name}`, store.entries[`tenants/tenant_abc/${name}`]!),
    async proxied(crefs, ttl = 600) {
      const delivery = Object.fromEntries(Object.keys(crefs).map((alias) => [alias, 'proxy' as const]));
      const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl, delivery });
      const result = await executor.resolve(envelope, { hmacSecrets: gw.hmac });
      return { jobId: envelope.payload.job_id, secrets: result.secrets };
    },
    async curl(args, as = 'executor') {
      const out = await run('curl', [
        '-sS', '-i', '--max-time', '10',
        '--cacert', path.join(gw.dir, 'pki', 'ca.crt'),
        '--cert', path.join(gw.dir, 'clients', `${as}.crt`),
        '--key', path.join(gw.dir, 'clients', `${as}.key`),
        ...args,
      ]).catch((err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? '' }));
      const text = out.stdout;
      const split = text.indexOf('\r\n\r\n');
      const headers = split < 0 ? text : text.slice(0, split);
      return { status: Number(/^HTTP\/[\d.]+ (\d{3})/.exec(headers)?.[1] ?? 0), headers, body: split < 0 ? '' : text.slice(split + 4) };
    },
    async close() {
      delete process.env.CREFGATE_PROXY_AWS_KEY;
      delete process.env.CREFGATE_PROXY_AWS_SECRET;
      await gw.close();
      await Promise.allSettled([upstream.close(), sts.close()]);
      await caDir.remove();
    },
  };
}
