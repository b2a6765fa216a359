/** `crefgate audit report`: verify a bundle or log, then write the self-contained HTML report of it. */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { generateReport } from '../audit/report/generate_report.ts';
import type { TrustedKey } from '../audit/verify/verify_evidence.ts';
import { eventBytes, withProgress } from './progress.ts';

/** How `audit verify` reads `--keys` and `--witness-key`; the report reads them the same way. */
export interface KeyReaders {
  keys(file: string): TrustedKey[];
  witnessKey(value: string): string;
}

/** Adds `report` under the `audit` command. */
export function registerAuditReportCommand(audit: Command, read: KeyReaders): void {
  audit
    .command('report')
    .description('verify an export bundle, a folder of logs or one log, then write a self-contained HTML report of it; exit 1 on any finding')
    .argument('<path>', 'export bundle folder, folder of audit logs, or one audit log file')
    .requiredOption('--out <file>', 'HTML file to write')
    .option('--keys <file>', 'pinned public keys: a keys.json, or one verifier key (name+id+key) per line')
    .option('--trusted-checkpoint <file>', 'a checkpoint note you already trust; the data must be consistent with it')
    .option('--witness-key <vkey...>', 'witness verifier key (name+id+key, or a file holding it): the end of each log must carry its cosignature')
    .option('--allow-unattested', 'report events no valid checkpoint covers as notes, not findings')
    .option('--grace-seconds <n>', 'how old an event past the last checkpoint may be before it is unattested', '61')
    .option('--title <title>', 'page title', 'crefgate audit report')
    .action(async (target: string, options: { out: string; keys?: string; trustedCheckpoint?: string; witnessKey?: string[]; allowUnattested?: boolean; graceSeconds: string; title: string }) => {
      const grace = Number(options.graceSeconds);
      if (!Number.isFinite(grace) || grace < 0) throw new Error('--grace-seconds must be a non-negative number');
      // Verification reads the events once and the page once more.
      const total = 2 * (await eventBytes(target));
      const report = await withProgress('report (verify, then page)', total, () =>
        generateReport(target, {
          keys: options.keys === undefined ? undefined : read.keys(options.keys),
          trustedCheckpoint: options.trustedCheckpoint === undefined ? undefined : readFileSync(options.trustedCheckpoint, 'utf8'),
          witnessKeys: options.witnessKey?.map(read.witnessKey),
          allowUnattested: options.allowUnattested === true,
          graceMs: grace * 1000,
          title: options.title,
        }),
      );
      await writeFile(options.out, report.html);
      const findings = report.data.verification.findings.length;
      console.log(`${report.verify.ok ? 'verification passed' : `verification FAILED (${findings} finding(s))`}; ${report.data.events.length} events; report written to ${options.out}`);
      if (!report.verify.ok) process.exitCode = 1;
    });
}
