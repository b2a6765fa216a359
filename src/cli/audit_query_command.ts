/** `crefgate audit query`: the forensic timeline of a job, executor, cref or tenant across every replica's log. */
import type { Command } from 'commander';
import { buildTimeline, type TimelineQuery } from '../forensics/timeline.ts';
import { timelineTable } from '../forensics/timeline_table.ts';
import { eventBytesOf, withProgress } from './progress.ts';

function instant(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new Error(`${flag}: not an RFC 3339 time: ${value}`);
  return at;
}

/** Adds `query` under the `audit` command. */
export function registerAuditQueryCommand(audit: Command): void {
  audit
    .command('query')
    .description('print the ordered story of a job, executor, cref or tenant from every replica\'s log, verifying each chain; exit 1 if one fails')
    .requiredOption('--logs <path...>', 'audit log files or folders of logs (one log per replica)')
    .option('--job <id>', 'events of this job (and of its leases)')
    .option('--executor <id>', 'events of this executor')
    .option('--cref <cref>', 'events naming this cref')
    .option('--tenant <tenant>', 'events of this tenant')
    .option('--since <time>', 'RFC 3339 start (inclusive)')
    .option('--until <time>', 'RFC 3339 end (exclusive)')
    .option('--format <format>', 'table or ndjson', 'table')
    .action(async (options: { logs: string[]; job?: string; executor?: string; cref?: string; tenant?: string; since?: string; until?: string; format: string }) => {
      if (options.format !== 'table' && options.format !== 'ndjson') throw new Error('--format must be table or ndjson');
      if ([options.job, options.executor, options.cref, options.tenant].every((v) => v === undefined)) throw new Error('name at least one of --job, --executor, --cref, --tenant');
      const query: TimelineQuery = {
        job: options.job,
        executor: options.executor,
        cref: options.cref,
        tenant: options.tenant,
        since: instant('--since', options.since),
        until: instant('--until', options.until),
      };
      // Each log is read twice: once to verify its chain, once for its events.
      const timeline = await withProgress('query (verify, then timeline)', 2 * (await eventBytesOf(options.logs)), () => buildTimeline(options.logs, query));
      for (const log of timeline.logs.filter((l) => !l.ok)) {
        console.error(`INTEGRITY FAILURE in ${log.file}: ${log.findings.map((f) => f.message).slice(0, 3).join('; ')}`);
      }
      if (options.format === 'ndjson') for (const e of timeline.events) console.log(JSON.stringify(e));
      else for (const row of timelineTable(timeline.events)) console.log(row);
      if (!timeline.ok) process.exitCode = 1;
    });
}
