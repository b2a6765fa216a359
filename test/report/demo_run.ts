/**
 * A real run for the report tests: a gateway (mTLS, local store and a Vault emulator with a dynamic role) serves
 * a few jobs: resolves, a renewal, a replay (refused, and alerted), a lease revoked by its coordinator, a job
 * completed whose dynamic lease is then revoked at Vault, and issuance past a rate limit. Its log is then
 * exported with the real exporter. Every secret, token, nonce and HMAC tag handed out is kept, to prove that
 * none of them reaches a report.
 */
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Envelope } from '../../src/envelope/schema.ts';
import { exportBundle } from '../../src/audit/verify/export_bundle.ts';
import { signerFromPem, verifierKeyString } from '../../src/audit/log/note.ts';
import { runRevocations } from '../../src/leases/revocation_worker.ts';
import { startVaultEmulator } from '../adapters/vault/emulator/server.ts';
import { startGateway } from '../helpers/gateway.ts';
import { vaultDbRoute, vaultMount } from '../helpers/vault_mount.ts';

export interface DemoRun {
  /** A copy of the gateway's audit folder (log, checkpoints, keys). */
  logs: string;
  bundle: string;
  /** Pinned keys: the log's checkpoint keys and the export key, one verifier key a line. */
  keysFile: string;
  /** Every secret value, envelope token, nonce and HMAC tag of the run. */
  secrets: string[];
  jobs: { dynamic: string; revoked: string; issuedOnly: string };
  close(): Promise<void>;
}

/** Runs the scenario and exports its bundle into a fresh temp folder. */
export async function demoRun(): Promise<DemoRun> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'crefgate-report-'));
  const vault = await startVaultEmulator();
  vault.mountKv('secret', 2);
  vault.addDynamicRole('database', 'readonly', { defaultTtl: 3600, maxTtl: 7200 });
  process.env.CREFGATE_REPORT_VAULT_TOKEN = vault.rootToken;
  const gw = await startGateway({
    gateway: { workers: false },
    mutate: (config) => {
      config.signals.enabled = true;
      config.rate_limits.issue.per_tenant = { limit: 5, window_seconds: 3600 };
      config.mounts.vault = vaultMount(vault.url, 'CREFGATE_REPORT_VAULT_TOKEN', { timeoutMs: 2000, breaker: { failure_threshold: 5, cooldown_ms: 10_000 } });
      config.routes.unshift(vaultDbRoute());
    },
  });
  const secrets: string[] = [vault.rootToken];
  const keep = (envelope: Envelope) => secrets.push(envelope.payload.nonce, envelope.token, envelope.sig);
  try {
    const coordinator = gw.client('coordinator');
    const executor = gw.client('executor');
    const issue = async (crefs: Record<string, string>) => {
      const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 600 });
      keep(envelope);
      return envelope;
    };
    // A job with a static and a dynamic secret: renewed, replayed, completed, its Vault lease revoked at Vault.
    const dynamic = await issue({ github: 'cref://tenant_abc/github_token', db: 'cref://tenant_abc/db/readonly' });
    const resolved = await executor.resolve(dynamic);
    for (const s of Object.values(resolved.secrets)) secrets.push(...(typeof s.value === 'string' ? [s.value] : Object.values(s.value as Record<string, string>)));
    await executor.renewLease(resolved.secrets.github!.lease_id, 30);
    await executor.resolve(dynamic).catch(() => undefined);
    await executor.completeJob(dynamic.payload.job_id);
    await runRevocations(gw.gateway.services, 'report-test');
    // A job whose lease its coordinator revokes.
    const revoked = await issue({ github: 'cref://tenant_abc/github_token' });
    const second = await executor.resolve(revoked);
    await coordinator.revokeLease(second.secrets.github!.lease_id);
    // Issued and never used; then issuance up to the tenant's limit and one past it.
    const issuedOnly = await issue({ npm: 'cref://tenant_abc/npm_token' });
    await issue({ npm: 'cref://tenant_abc/npm_token' });
    await issue({ npm: 'cref://tenant_abc/npm_token' });
    await issue({ npm: 'cref://tenant_abc/npm_token' }).catch(() => undefined);
    secrets.push(...(await gw.secretValues()));
    for (const key of gw.hmac.values()) secrets.push(key.toString('base64url'), key.toString('base64'), key.toString('hex'));
    await gw.gateway.close(); // flushes the audit trail and signs the closing checkpoint
    const logs = path.join(tmp, 'logs');
    cpSync(path.join(gw.dir, 'audit'), logs, { recursive: true });
    const exportPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
    const signer = signerFromPem('crefgate/export', exportPem);
    const bundle = path.join(tmp, 'bundle');
    await exportBundle({ logs: [path.join(logs, 'crefgate.log')], out: bundle, format: 'ndjson', signer });
    const published = (JSON.parse(readFileSync(path.join(logs, 'crefgate.log.keys.json'), 'utf8')) as { keys: { vkey: string }[] }).keys;
    const keysFile = path.join(tmp, 'pinned-keys.txt');
    writeFileSync(keysFile, [...published.map((k) => k.vkey), verifierKeyString(signer)].join('\n') + '\n');
    return {
      logs,
      bundle,
      keysFile,
      secrets: secrets.filter((s) => s.length >= 8),
      jobs: { dynamic: dynamic.payload.job_id, revoked: revoked.payload.job_id, issuedOnly: issuedOnly.payload.job_id },
      close: async () => {
        await rm(tmp, { recursive: true, force: true });
      },
    };
  } finally {
    await gw.close();
    await vault.close();
    delete process.env.CREFGATE_REPORT_VAULT_TOKEN;
  }
}
