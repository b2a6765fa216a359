/**
 * The forensic timeline: every event about one job, executor, cref or tenant, from the logs of every replica,
 * merged into one ordered story. Each log's hash chain is verified as it is read, so a story told from a
 * tampered log says so. Backend revocations carry only lease ids, so a job's story also follows its leases.
 */
import { stat } from 'node:fs/promises';
import { logSegments, readLines } from '../audit/log/log_files.ts';
import { findLogs } from '../audit/verify/verify_path.ts';
import { verifyAuditFile } from '../audit/verify/verify_file.ts';
import type { Finding } from '../audit/verify/findings.ts';

export interface TimelineQuery {
  job?: string | undefined;
  executor?: string | undefined;
  cref?: string | undefined;
  tenant?: string | undefined;
  /** Epoch ms, inclusive. */
  since?: number | undefined;
  /** Epoch ms, exclusive. */
  until?: number | undefined;
}

/** One audit line as written: canonical JSON with at least these members. */
export interface TimelineEvent {
  time: string;
  origin: string;
  seq: number;
  action: string;
  outcome: string;
  actor?: { type?: string; id?: string } | undefined;
  job_id?: string | undefined;
  executor?: string | undefined;
  tenant?: string | undefined;
  crefs?: string[] | undefined;
  lease_ids?: string[] | undefined;
  [member: string]: unknown;
}

export interface TimelineLog {
  file: string;
  events: number;
  ok: boolean;
  findings: Finding[];
}

export interface Timeline {
  /** True when every log's chain verified. */
  ok: boolean;
  logs: TimelineLog[];
  events: TimelineEvent[];
}

/** Active-file paths of the logs named by files and folders. */
async function expand(paths: string[]): Promise<string[]> {
  const logs: string[] = [];
  for (const p of paths) logs.push(...((await stat(p)).isDirectory() ? await findLogs(p) : [p]));
  return logs;
}

function matches(event: TimelineEvent, query: TimelineQuery, jobLeases: Set<string>): boolean {
  const at = Date.parse(event.time);
  if (query.since !== undefined && at < query.since) return false;
  if (query.until !== undefined && at >= query.until) return false;
  if (query.job !== undefined && event.job_id !== query.job && !(event.lease_ids ?? []).some((l) => jobLeases.has(l))) return false;
  if (query.executor !== undefined && event.executor !== query.executor && !(event.actor?.type === 'executor' && event.actor.id === query.executor)) return false;
  if (query.cref !== undefined && !(event.crefs ?? []).includes(query.cref)) return false;
  if (query.tenant !== undefined && event.tenant !== query.tenant) return false;
  return true;
}

/** Verifies every log and returns the matching events of all of them, ordered by time (then origin and seq). */
export async function buildTimeline(paths: string[], query: TimelineQuery): Promise<Timeline> {
  const logs: TimelineLog[] = [];
  const all: TimelineEvent[] = [];
  for (const file of await expand(paths)) {
    const report = await verifyAuditFile(file);
    logs.push({ file, events: report.events, ok: report.ok, findings: report.findings });
    for await (const line of readLines(await logSegments(file))) {
      if (!line.complete || !line.text.startsWith('{')) continue;
      try {
        all.push(JSON.parse(line.text) as TimelineEvent);
      } catch {
        // A line that is not JSON is already a finding of the chain check above.
      }
    }
  }
  const jobLeases = new Set<string>();
  if (query.job !== undefined) for (const e of all) if (e.job_id === query.job) for (const l of e.lease_ids ?? []) jobLeases.add(l);
  const events = all
    .filter((e) => matches(e, query, jobLeases))
    .sort((a, b) => a.time.localeCompare(b.time) || a.origin.localeCompare(b.origin) || a.seq - b.seq);
  return { ok: logs.every((l) => l.ok), logs, events };
}
