/** The `crefgate audit …` commands: verify a log or bundle, compute an audit HMAC for a value. */
import type { Command } from 'commander';
import { AuditHasher, readAuditKey } from '../audit/hmac_keys.ts';
import { verifyAuditPath } from '../audit/verify_path.ts';
import type { Finding } from '../audit/findings.ts';

/** Adds the `audit` command group to the CLI. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('verify, export and query the audit trail');

  audit
    .command('verify')
    .description('verify an audit log (file or folder of logs) or an exported bundle; exit 1 on any finding')
    .argument('<path>', 'audit log file, folder of logs, or export bundle')
    .option('--json', 'print the report as JSON')
    .action(async (target: string, options: { json?: boolean }) => {
      const reports = await verifyAuditPath(target);
      const ok = reports.length > 0 && reports.every((r) => r.ok);
      if (options.json === true) {
        const logs = reports.map((r) => ({ ok: r.ok, files: r.files, events: r.events, findings: r.findings }));
        console.log(JSON.stringify({ ok, logs }, null, 2));
      } else {
        for (const report of reports) {
          printFindings(report.findings);
          const name = report.files[report.files.length - 1] ?? target;
          console.log(`${report.ok ? 'OK' : 'FAILED'} ${name}: ${report.events} events in ${report.files.length} file(s), ${report.findings.length} finding(s)`);
        }
        if (reports.length === 0) console.log(`FAILED: no audit log in ${target}`);
      }
      if (!ok) process.exitCode = 1;
    });

  audit
    .command('hash')
    .description("print the audit HMAC of a value under a tenant's key, to search the log for it")
    .requiredOption('--key-file <file>', 'the audit hmac_key_file')
    .option('--tenant <tenant>', 'tenant whose key to use (omit for events outside any tenant)')
    .argument('<value>', 'the value to hash (prefer "-" to read it from stdin, keeping it out of shell history)')
    .action(async (value: string, options: { keyFile: string; tenant?: string }) => {
      const clear = value === '-' ? (await readStdin()).replace(/\r?\n$/, '') : value;
      console.log(new AuditHasher(readAuditKey(options.keyFile)).hash(options.tenant, clear));
    });
}

function printFindings(findings: Finding[]): void {
  for (const finding of findings) console.log(`${finding.kind.toUpperCase()} ${finding.where}: ${finding.message}`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
