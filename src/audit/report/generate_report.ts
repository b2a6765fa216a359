/**
 * `crefgate audit report`: verifies a bundle or log with the verifier of `audit verify`, then draws the report
 * from the same input. The verdict is the verifier's; the report never says more than it does. The input's files
 * are statted before verification, the page reads each only up to that size, and they are statted again after:
 * a log that only grew meanwhile (a live gateway appending) is shown as it was, with a note; any other change (a
 * rotation, a swap, a shrink) fails the report instead of showing events the verifier may not have seen.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { verifyAuditPath, type VerifyOptions, type VerifyReport } from '../verify/verify_path.ts';
import { readReportInput, sourcesOf } from './read_events.ts';
import { reportData, type ReportData } from './report_data.ts';
import { renderReportHtml } from './render_html.ts';

export interface ReportOptions extends VerifyOptions {
  title?: string | undefined;
}

export interface GeneratedReport {
  html: string;
  data: ReportData;
  verify: VerifyReport;
}

/** Verifies `target` and renders its report page. */
export async function generateReport(target: string, options: ReportOptions = {}): Promise<GeneratedReport> {
  const before = await fingerprint(target);
  const verify = await verifyAuditPath(target, options);
  const input = await readReportInput(target, new Map([...before].map(([file, f]) => [file, f.size])));
  const after = await fingerprint(target);
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((file) => {
    const a = before.get(file);
    const b = after.get(file);
    return a === undefined || b === undefined || a.ino !== b.ino || b.size < a.size;
  });
  if (changed.length > 0) throw new Error(`${changed.join(', ')} changed while the report was made (rotated, replaced or cut); run it again`);
  const data = reportData(path.basename(path.resolve(target)), verify, input, { title: options.title, now: options.now });
  if ([...after].some(([file, f]) => f.size !== before.get(file)?.size)) {
    data.verification.notes.push('the log grew while the report was made: the page shows the events written before verification began');
  }
  return { html: renderReportHtml(data), data, verify };
}

/** Size and inode of every event and checkpoint file the report reads. */
async function fingerprint(target: string): Promise<Map<string, { size: number; ino: number }>> {
  const files = new Map<string, { size: number; ino: number }>();
  for (const source of await sourcesOf(target)) {
    for (const file of [...source.files, source.checkpoints]) {
      const info = await stat(file).catch(() => undefined);
      if (info !== undefined) files.set(file, { size: info.size, ino: info.ino });
    }
  }
  return files;
}
