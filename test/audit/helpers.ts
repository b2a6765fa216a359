/** Shared fixtures of the audit tests: a temp folder with an HMAC key, a config, and sample events. */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { auditConfigSchema, type AuditConfig } from '../../src/audit/config.ts';
import type { AuditEventInput } from '../../src/audit/contract.ts';

export interface AuditFixture {
  dir: string;
  keyFile: string;
  logPath: string;
  config: AuditConfig;
}

/** A temp folder with a fresh HMAC key and a config writing to `audit.log` there. */
export function auditFixture(overrides: Record<string, unknown> = {}): AuditFixture {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crefgate-audit-'));
  const keyFile = path.join(dir, 'audit-hmac.key');
  writeFileSync(keyFile, randomBytes(32).toString('hex'));
  const logPath = path.join(dir, 'logs', 'audit.log');
  const config = auditConfigSchema.parse({
    origin: 'test.example/replica-1',
    hmac_key_file: keyFile,
    sinks: [{ type: 'file', path: logPath }],
    batch_ms: 2,
    ...overrides,
  });
  return { dir, keyFile, logPath, config };
}

/** Writes a fresh Ed25519 PKCS#8 PEM key into `dir` and returns its path. */
export function writeSigningKey(dir: string, name = 'checkpoint.pem'): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const file = path.join(dir, name);
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return file;
}

export const SECRET_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.super-secret-token-value.sig';
export const SECRET_NONCE = 'nonce-7f3a9c1d2e4b5a6f';

/** A realistic resolve event carrying sensitive material. */
export function resolveEvent(n: number, tenant = 'tenant_abc'): AuditEventInput {
  return {
    action: 'resolve',
    outcome: n % 5 === 0 ? 'denied' : 'granted',
    ...(n % 5 === 0 ? { code: 'replayed' as const, step: 'nonce' as const, reason: 'nonce already burned' } : {}),
    actor: { type: 'executor', id: `exec-${n % 3}`, auth: 'mtls', fingerprint: `sha256:${'ab'.repeat(32)}` },
    tenant,
    job_id: `job-${n}`,
    executor: `exec-${n % 3}`,
    crefs: [`cref://${tenant}/github_token`],
    lease_ids: [`lease-${n}`],
    request_id: `req-${n}`,
    source: '10.0.0.7',
    sensitive: { token: `${SECRET_TOKEN}-${n}`, nonce: `${SECRET_NONCE}-${n}` },
  };
}
