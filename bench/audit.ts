/**
 * Audit benchmark (not a test): sustained audited events per second with fsync group commit, then offline
 * verification speed. Run: `node bench/audit.ts [seconds=5] [concurrency=256] [--keep]` (--keep leaves the log
 * behind and prints its path), or `node bench/audit.ts verify <log> [--json]` to time (or --cpu-prof) verification
 * alone, in a process of its own as `crefgate audit verify` runs (npm run bench does this).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { auditConfigSchema } from '../src/audit/config.ts';
import type { AuditEventInput } from '../src/audit/contract.ts';
import { createAuditTrail } from '../src/audit/index.ts';
import { verifyAuditPath } from '../src/audit/verify/verify_path.ts';
import { numberFlag, parseFlags, refuse } from '../src/cli/flags.ts';

const AUDIT = {
  name: 'node bench/audit.ts',
  usage: `node bench/audit.ts [seconds=5] [concurrency=256] [--keep]   sustained audited events per second
       node bench/audit.ts verify <log> [--json]                  offline verification speed`,
};
const { values: args, positionals } = parseFlags({
  ...AUDIT,
  options: { keep: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
  positionals: { min: 0, max: 2 },
});
if (positionals[0] === 'verify') {
  if (positionals[1] === undefined) refuse(AUDIT, 'verify needs the path of a log');
  const v0 = process.hrtime.bigint();
  const report = await verifyAuditPath(positionals[1]);
  const vElapsed = Number(process.hrtime.bigint() - v0) / 1e9;
  const events = report.logs.reduce((sum, l) => sum + l.events, 0);
  if (args.json) console.log(JSON.stringify({ events, seconds: vElapsed, ok: report.ok, findings: report.logs.flatMap((l) => l.findings).slice(0, 3) }));
  else console.log(`verify: ${events} events in ${vElapsed.toFixed(2)} s = ${Math.round(events / vElapsed)} events/s; ok=${report.ok}`);
  process.exit(report.ok ? 0 : 1);
}
const keep = args.keep;
const seconds = numberFlag(AUDIT, 'seconds', positionals[0] ?? '5', 1);
const concurrency = numberFlag(AUDIT, 'concurrency', positionals[1] ?? '256', 1);
const dir = mkdtempSync(path.join(os.tmpdir(), 'crefgate-audit-bench-'));
writeFileSync(path.join(dir, 'hmac.key'), randomBytes(32).toString('hex'));
writeFileSync(path.join(dir, 'ckpt.pem'), generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
const logPath = path.join(dir, 'audit.log');
const config = auditConfigSchema.parse({
  origin: 'bench/replica-1',
  hmac_key_file: 'hmac.key',
  signing_key_file: 'ckpt.pem',
  sinks: [{ type: 'file', path: 'audit.log' }],
  batch_ms: 5,
});

const event = (n: number): AuditEventInput => ({
  action: 'resolve',
  outcome: 'granted',
  actor: { type: 'executor', id: 'exec-01', auth: 'mtls', fingerprint: `sha256:${'ab'.repeat(32)}` },
  tenant: 'tenant_abc',
  job_id: `job-${n}`,
  executor: 'exec-01',
  crefs: ['cref://tenant_abc/github_token', 'cref://tenant_abc/npm_token'],
  lease_ids: [`lease-${n}-a`, `lease-${n}-b`],
  request_id: `req-${n}`,
  source: '10.1.2.3',
  sensitive: { token: `token-${n}`, nonce: `nonce-${n}` },
});

const trail = await createAuditTrail(config, { configDir: dir });
let n = 0;
let latencyTotal = 0;
const deadline = Date.now() + seconds * 1000;
const started = process.hrtime.bigint();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (Date.now() < deadline) {
      const t = process.hrtime.bigint();
      await trail.record(event(n++));
      latencyTotal += Number(process.hrtime.bigint() - t) / 1e6;
    }
  }),
);
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
await trail.close();
console.log(`record: ${n} events in ${elapsed.toFixed(2)} s = ${Math.round(n / elapsed)} events/s durable (fsync group commit, ${concurrency} in flight, mean latency ${(latencyTotal / n).toFixed(1)} ms)`);

const v0 = process.hrtime.bigint();
const report = await verifyAuditPath(logPath);
const vElapsed = Number(process.hrtime.bigint() - v0) / 1e9;
const events = report.logs[0]?.events ?? 0;
console.log(`verify: ${events} events in ${vElapsed.toFixed(2)} s = ${Math.round(events / vElapsed)} events/s (chain, canonical form, Merkle roots of every checkpoint); ok=${report.ok}`);
if (keep) console.log(`log kept: ${logPath}`);
else rmSync(dir, { recursive: true, force: true });
