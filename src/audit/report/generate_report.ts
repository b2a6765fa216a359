/**
 * `crefgate audit report`: verifies a bundle or log with the verifier of `audit verify`, then draws the report
 * from the same input. The verdict is the verifier's; the report never says more than it does.
 */
import path from 'node:path';
import { verifyAuditPath, type VerifyOptions, type VerifyReport } from '../verify_path.ts';
import { readReportInput } from './read_events.ts';
import { reportData, type ReportData } from './report_data.ts';
import { renderReportHtml } from './render_html.ts';

export interface ReportOptions extends VerifyOptions {
  title?: string | undefined;
  now?: number | undefined;
}

export interface GeneratedReport {
  html: string;
  data: ReportData;
  verify: VerifyReport;
}

/** Verifies `target` and renders its report page. */
export async function generateReport(target: string, options: ReportOptions = {}): Promise<GeneratedReport> {
  const verify = await verifyAuditPath(target, options);
  const input = await readReportInput(target);
  const data = reportData(path.basename(path.resolve(target)), verify, input, { title: options.title, now: options.now });
  return { html: renderReportHtml(data), data, verify };
}
