/**
 * The data a report page is built from: the verifier's verdict and the events it was given. The verdict is
 * copied from the verifier's report as is; the page only ever shows a pass when that report says `ok`.
 */
import type { Finding } from '../verify/findings.ts';
import type { LogReport, VerifyReport } from '../verify/verify_path.ts';
import { attributeLeases, jobStories, type JobStory } from './job_stories.ts';
import type { LogCheckpoints, ReportEvent, ReportInput } from './read_events.ts';

export interface FlaggedFinding extends Finding {
  /** Origin of the log the finding is about; undefined for findings about the bundle itself. */
  origin?: string | undefined;
}

export interface ReportVerification {
  ok: boolean;
  /** False when the keys came from the data itself rather than from the auditor. */
  pinned: boolean;
  /** Each log as the verifier reported it (counts, unattested, witnesses), its findings counted, its checkpoints as read. */
  logs: (Omit<LogReport, 'findings' | 'notes'> & { findings: number; checkpoints: LogCheckpoints | undefined })[];
  findings: FlaggedFinding[];
  notes: string[];
}

export interface ReportData {
  title: string;
  source: string;
  generated: string;
  verification: ReportVerification;
  events: ReportEvent[];
  jobs: JobStory[];
}

/** Puts the verdict and the events together. */
export function reportData(source: string, verify: VerifyReport, input: ReportInput, options: { title?: string | undefined; now?: number | undefined } = {}): ReportData {
  attributeLeases(input.events);
  const notes = [...verify.notes, ...verify.logs.flatMap((l) => l.notes.map((n) => `${l.origin ?? l.source}: ${n}`))];
  const findings: FlaggedFinding[] = [...verify.findings, ...verify.logs.flatMap((l) => l.findings.map((f) => ({ ...f, origin: l.origin })))];
  return {
    title: options.title ?? 'crefgate audit report',
    source,
    generated: new Date(options.now ?? Date.now()).toISOString(),
    verification: {
      ok: verify.ok && findings.length === 0,
      pinned: !notes.some((n) => /not pinned/.test(n)),
      logs: verify.logs.map((l) => ({
        origin: l.origin,
        source: l.source,
        events: l.events,
        attested: l.attested,
        unattested: l.unattested,
        witnessed: l.witnessed,
        findings: l.findings.length,
        checkpoints: input.checkpoints.find((c) => c.origin === l.origin),
      })),
      findings,
      notes,
    },
    events: input.events,
    jobs: jobStories(input.events),
  };
}
