/** Resolves what `audit verify` was pointed at: one log file, or a folder holding one log per replica. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { verifyAuditFile, type FileVerifyReport } from './verify_file.ts';

/** Active-file paths of the logs in a folder (a log may consist only of rotated segments). */
export async function findLogs(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  const bases = new Set<string>();
  for (const name of names) {
    if (/\.(checkpoints|keys\.json)$/.test(name) || /\.torn-\d+$/.test(name)) continue;
    bases.add(name.replace(/\.\d{12,}$/, ''));
  }
  return [...bases].sort().map((base) => path.join(dir, base));
}

/** Verifies every log at `target` (a file or a folder of logs). */
export async function verifyAuditPath(target: string): Promise<FileVerifyReport[]> {
  const info = await stat(target).catch(() => undefined);
  if (info?.isDirectory() !== true) return [await verifyAuditFile(target)];
  const logs = await findLogs(target);
  return await Promise.all(logs.map((log) => verifyAuditFile(log)));
}
