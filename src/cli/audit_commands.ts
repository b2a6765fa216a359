/** The `crefgate audit …` commands: verify a log or bundle, export a bundle, compute an audit HMAC for a value. */
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { exportBundle } from '../audit/verify/export_bundle.ts';
import type { Finding } from '../audit/verify/findings.ts';
import { AuditHasher, readAuditKey } from '../audit/trail/hmac_keys.ts';
import { signerFromPem } from '../audit/log/note.ts';
import type { TrustedKey } from '../audit/verify/verify_evidence.ts';
import { findLogs, verifyAuditPath, type VerifyReport } from '../audit/verify/verify_path.ts';
import { registerAuditQueryCommand } from './audit_query_command.ts';
import { registerWitnessCommand } from './witness_command.ts';
import { registerAuditReportCommand } from './audit_report_command.ts';
import { eventBytes, eventBytesOf, withProgress } from './progress.ts';

/** Adds the `audit` command group to the CLI. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('verify, export and query the audit trail');

  audit
    .command('verify')
    .description('verify an export bundle, a folder of logs or one log; exit 1 on any finding')
    .argument('<path>', 'export bundle folder, folder of audit logs, or one audit log file')
    .option('--keys <file>', 'pinned public keys: a keys.json, or one verifier key (name+id+key) per line')
    .option('--trusted-checkpoint <file>', 'a checkpoint note you already trust; the data must be consistent with it')
    .option('--witness-key <vkey...>', 'witness verifier key (name+id+key, or a file holding it): the end of each log must carry its cosignature')
    .option('--allow-unattested', 'report events no valid checkpoint covers as notes, not findings (said on every run)')
    .option('--grace-seconds <n>', 'how old an event past the last checkpoint may be before it is unattested', '61')
    .option('--json', 'print the report as JSON')
    .action(async (target: string, options: { keys?: string; trustedCheckpoint?: string; witnessKey?: string[]; allowUnattested?: boolean; graceSeconds: string; json?: boolean }) => {
      const grace = Number(options.graceSeconds);
      if (!Number.isFinite(grace) || grace < 0) throw new Error('--grace-seconds must be a non-negative number');
      const report = await withProgress('verify', await eventBytes(target), () => verifyAuditPath(target, {
        keys: options.keys === undefined ? undefined : readPinnedKeys(options.keys),
        trustedCheckpoint: options.trustedCheckpoint === undefined ? undefined : readFileSync(options.trustedCheckpoint, 'utf8'),
        witnessKeys: options.witnessKey?.map(readWitnessKey),
        allowUnattested: options.allowUnattested === true,
        graceMs: grace * 1000,
      }));
      if (options.json === true) console.log(JSON.stringify(report, null, 2));
      else printReport(report);
      if (!report.ok) process.exitCode = 1;
    });

  audit
    .command('export')
    .description('write a verifiable bundle: events, checkpoints, proofs, public keys and a signed manifest')
    .requiredOption('--logs <path...>', 'audit log files or folders of logs (one log per replica)')
    .requiredOption('--out <dir>', 'bundle folder to write')
    .requiredOption('--signing-key <file>', 'Ed25519 PKCS#8 PEM key that signs the manifest')
    .option('--signer-name <name>', 'key name of the manifest signature', 'crefgate/export')
    .option('--since <time>', 'RFC 3339 start (inclusive)')
    .option('--until <time>', 'RFC 3339 end (exclusive)')
    .option('--tenant <tenant>', 'only this tenant (each event then carries an inclusion proof)')
    .option('--format <format>', 'ndjson, or ocsf to add an OCSF-mapped copy', 'ndjson')
    .action(async (options: { logs: string[]; out: string; signingKey: string; signerName: string; since?: string; until?: string; tenant?: string; format: string }) => {
      if (options.format !== 'ndjson' && options.format !== 'ocsf') throw new Error('--format must be ndjson or ocsf');
      const logs: string[] = [];
      for (const p of options.logs) logs.push(...(statSync(p).isDirectory() ? await findLogs(p) : [p]));
      const manifest = await withProgress('export', await eventBytesOf(logs), () => exportBundle({
        logs,
        out: options.out,
        since: options.since,
        until: options.until,
        tenant: options.tenant,
        format: options.format as 'ndjson' | 'ocsf', // checked above; the closure does not keep the narrowing
        signer: signerFromPem(options.signerName, readFileSync(options.signingKey)),
      }));
      for (const log of manifest.logs) console.log(`${log.origin}: ${log.events} events (seq ${log.first_seq}..${log.end_seq - 1}), ${log.checkpoints} checkpoints`);
      console.log(`bundle written to ${options.out}`);
    });

  audit
    .command('hash')
    .description("print the audit HMAC of a value under a tenant's key, to search the log for it")
    .requiredOption('--key-file <file>', 'the audit hmac_key_file')
    .option('--tenant <tenant>', 'tenant whose key to use (omit for events outside any tenant)')
    .argument('<value>', 'the value to hash ("-" reads it from stdin, keeping it out of shell history)')
    .action(async (value: string, options: { keyFile: string; tenant?: string }) => {
      const clear = value === '-' ? (await readStdin()).replace(/\r?\n$/, '') : value;
      console.log(new AuditHasher(readAuditKey(options.keyFile)).hash(options.tenant, clear));
    });

  registerAuditQueryCommand(audit);
  registerAuditReportCommand(audit, { keys: readPinnedKeys, witnessKey: readWitnessKey });
  // `crefgate witness` lives with the audit commands it serves (it runs on another host, from the same CLI).
  registerWitnessCommand(program);
}

function readPinnedKeys(file: string): TrustedKey[] {
  const text = readFileSync(file, 'utf8');
  if (text.trimStart().startsWith('{')) return (JSON.parse(text) as { keys: TrustedKey[] }).keys;
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((vkey) => ({ vkey }));
}

/** A witness key given inline (`name+id+base64`) or as a file that holds one. */
function readWitnessKey(value: string): string {
  return /^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/.test(value) ? value : readFileSync(value, 'utf8').trim();
}

function printReport(report: VerifyReport): void {
  for (const finding of report.findings) printFinding(finding);
  for (const log of report.logs) {
    for (const finding of log.findings) printFinding(finding);
    for (const note of log.notes) console.log(`note ${log.origin ?? log.source}: ${note}`);
    const status = log.findings.length === 0 ? 'OK' : 'FAILED';
    const witnessed = (log.witnessed ?? []).map((w) => `, ${w.size} cosigned by ${w.witness}`).join('');
    console.log(`${status} ${log.origin ?? log.source}: ${log.events} events, ${log.attested} attested by checkpoints${witnessed}, ${log.findings.length} finding(s)`);
  }
  for (const note of report.notes) console.log(`note: ${note}`);
  console.log(report.ok ? 'verification passed' : 'verification FAILED');
}

function printFinding(finding: Finding): void {
  console.log(`${finding.kind.toUpperCase()} ${finding.where}: ${finding.message}`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
