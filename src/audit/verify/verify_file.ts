/** Chain verification of one log on disk (all its rotated segments), without checkpoints. */
import { stat } from 'node:fs/promises';
import { checkChain, type ChainEntry } from './chain_check.ts';
import { sortFindings, type Finding } from './findings.ts';
import { logSegments, readAllLines } from '../log/log_files.ts';

export interface FileVerifyReport {
  ok: boolean;
  /** Files checked, oldest first. */
  files: string[];
  events: number;
  findings: Finding[];
  /** The earliest finding: names the first bad line. */
  firstBad?: Finding | undefined;
  entries: ChainEntry[];
}

/**
 * Recomputes the chain of the log at `path`. Given the active file, its rotated segments are checked too; given a
 * single rotated segment, only that file is. A log whose first file starts at seq 0 must start at genesis.
 */
export async function verifyAuditFile(path: string): Promise<FileVerifyReport> {
  const segments = await logSegments(path);
  const files = segments.includes(path) ? segments : (await exists(path)) ? [path] : [];
  if (files.length === 0) {
    const missing: Finding = { kind: 'missing_file', where: path, message: 'no such audit log' };
    return { ok: false, files, events: 0, findings: [missing], firstBad: missing, entries: [] };
  }
  const lines = await readAllLines(files);
  // A whole log (its oldest file is the first rotated segment or the only file) must start at seq 0.
  const wholeLog = !/\.\d{12,}$/.test(files[0]!);
  const { entries, findings } = checkChain(lines, wholeLog ? 0 : undefined);
  const sorted = sortFindings(findings);
  return { ok: sorted.length === 0, files, events: entries.length, findings: sorted, firstBad: sorted[0], entries };
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
