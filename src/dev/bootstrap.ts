/**
 * The embedded default's state folder. On first run it creates a local CA, the server certificate, client
 * certificates for a coordinator, an executor, an admin and an auditor, the token signing key (RS256), the audit
 * HMAC and checkpoint (Ed25519) keys, the demo executor's HMAC secret, a sealed local secret store with demo
 * secrets, and a config file tying them together. Every file is created only if missing: a second start reuses
 * what exists. Keys are written 0600 in a 0700 folder and never leave it.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { putSecret } from '../../adapters/local/sealed_file.ts';
import { DEFAULT_GATEWAY_PORT } from '../config/defaults.ts';
import { createCa, issueLeaf, loadCa, type CertificateAuthority } from '../pki/ca.ts';
import { devConfig, DEV_CLIENTS, DEV_TRUST_DOMAIN } from './dev_config.ts';

export interface DevState {
  dir: string;
  configFile: string;
  created: boolean;
}

async function writeOnce(file: string, make: () => string | Promise<string>, mode = 0o600): Promise<boolean> {
  if (existsSync(file)) return false;
  await writeFile(file, await make(), { mode, flag: 'wx' });
  return true;
}

const b64 = (bytes: number) => `${randomBytes(bytes).toString('base64url')}\n`;

async function ensureCa(dir: string): Promise<CertificateAuthority> {
  const certFile = path.join(dir, 'pki', 'ca.crt');
  const keyFile = path.join(dir, 'pki', 'ca.key');
  if (existsSync(certFile) && existsSync(keyFile)) return await loadCa(await readFile(certFile, 'utf8'), await readFile(keyFile, 'utf8'));
  const ca = await createCa('crefgate embedded CA');
  await writeFile(keyFile, ca.key, { mode: 0o600 });
  await writeFile(certFile, ca.cert, { mode: 0o644 });
  return ca;
}

async function ensureLeaf(ca: CertificateAuthority, base: string, options: Parameters<typeof issueLeaf>[1]): Promise<void> {
  if (existsSync(`${base}.crt`) && existsSync(`${base}.key`)) return;
  const leaf = await issueLeaf(ca, options);
  await writeFile(`${base}.key`, leaf.key, { mode: 0o600 });
  await writeFile(`${base}.crt`, leaf.cert, { mode: 0o644 });
}

/** Creates what is missing under `dir` and returns where the config is. */
export async function ensureDevState(dir: string, port = DEFAULT_GATEWAY_PORT): Promise<DevState> {
  const root = path.resolve(dir);
  const created = !existsSync(path.join(root, 'config.yaml'));
  for (const sub of ['', 'pki', 'clients', 'keys', 'executors', 'audit']) await mkdir(path.join(root, sub), { recursive: true, mode: 0o700 });

  const ca = await ensureCa(root);
  await ensureLeaf(ca, path.join(root, 'pki', 'server'), { commonName: 'crefgate', usage: 'server', dns: ['localhost'], ips: ['127.0.0.1', '::1'] });
  for (const client of DEV_CLIENTS) {
    await ensureLeaf(ca, path.join(root, 'clients', client.name), { commonName: client.name, usage: 'client', uri: client.uri });
  }
  await writeOnce(path.join(root, 'keys', 'token-signing.pem'), () =>
    generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  await writeOnce(path.join(root, 'keys', 'audit-signing.pem'), () =>
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  await writeOnce(path.join(root, 'keys', 'audit-hmac.key'), () => b64(32));
  await writeOnce(path.join(root, 'keys', 'local-store.key'), () => `${randomBytes(32).toString('base64')}\n`);
  await writeOnce(path.join(root, 'executors', 'exec-01.hmac'), () => b64(32));

  const storeFile = path.join(root, 'local-secrets.json');
  if (!existsSync(storeFile)) {
    const key = Buffer.from((await readFile(path.join(root, 'keys', 'local-store.key'), 'utf8')).trim(), 'base64');
    // Demo secrets are random per installation: nothing real, nothing shared between machines.
    await putSecret(storeFile, key, 'local-1', 'tenants/tenant_abc/github_token', `ghp_demo_${randomBytes(15).toString('hex')}`);
    await putSecret(storeFile, key, 'local-1', 'tenants/tenant_abc/npm_token', `npm_demo_${randomBytes(15).toString('hex')}`);
    await putSecret(storeFile, key, 'local-1', 'tenants/tenant_abc/db', { username: 'app', password: randomBytes(12).toString('base64url') });
    await putSecret(storeFile, key, 'local-1', 'tenants/tenant_xyz/deploy_key', `xyz_demo_${randomBytes(15).toString('hex')}`);
  }
  await writeOnce(path.join(root, 'config.yaml'), () => `# crefgate embedded default (generated; edit freely)\n${stringify(devConfig(port))}`, 0o600);
  return { dir: root, configFile: path.join(root, 'config.yaml'), created };
}

export { DEV_TRUST_DOMAIN };
