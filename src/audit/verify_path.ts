/**
 * What `audit verify` runs: given an export bundle (a folder with manifest.note) it checks the manifest signature
 * and file hashes and then every log in it; given a log file or a folder of live logs it checks each log with
 * its `.checkpoints` and published keys. Keys are pinned when given; otherwise the ones found next to the data are
 * used and the report says so.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { KEYS_FILE, MANIFEST_NOTE, type BundleKey, type BundleProofs, type Manifest } from './bundle_format.ts';
import { parseCheckpointText, type Checkpoint } from './checkpoint.ts';
import { sortFindings, type Finding } from './findings.ts';
import { readPublishedKeys } from './key_ring.ts';
import { checkpointsPath, logSegments, publicKeysPath, readAllLines, type LogLine } from './log_files.ts';
import { parseVerifierKey, verifyNote } from './note.ts';
import type { ParsedLine } from './chain_check.ts';
import { readAndParseParallel } from './parse_parallel.ts';
import { verifyEvidence, type TrustedKey } from './verify_evidence.ts';

export interface VerifyOptions {
  /** Pinned keys (checkpoint and export keys). */
  keys?: TrustedKey[] | undefined;
  /** A checkpoint note the auditor already trusts. */
  trustedCheckpoint?: string | undefined;
  /** Logs of at least this many bytes are parsed on worker threads too (default PARALLEL_MIN_BYTES). */
  parallelMinBytes?: number | undefined;
}

export interface LogReport {
  origin: string | undefined;
  source: string;
  events: number;
  attested: number;
  findings: Finding[];
  notes: string[];
}

export interface VerifyReport {
  ok: boolean;
  logs: LogReport[];
  /** Findings about the bundle itself (manifest, files). */
  findings: Finding[];
  notes: string[];
}

/** Active-file paths of the logs in a folder (a log may consist only of rotated segments). */
export async function findLogs(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  const bases = new Set<string>();
  for (const name of names) {
    if (/\.(checkpoints|keys\.json|tmp)$/.test(name) || /\.torn-\d+$/.test(name)) continue;
    bases.add(name.replace(/\.\d{12,}$/, ''));
  }
  return [...bases].sort().map((base) => path.join(dir, base));
}

/** Verifies an export bundle, a folder of logs, or one log file. */
export async function verifyAuditPath(target: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const info = await stat(target).catch(() => undefined);
  if (info === undefined) return finish([], [{ kind: 'missing_file', where: target, message: 'no such file or folder' }], []);
  if (info.isDirectory() && (await stat(path.join(target, MANIFEST_NOTE)).catch(() => undefined)) !== undefined) {
    return await verifyBundle(target, options);
  }
  const logs = info.isDirectory() ? await findLogs(target) : [target];
  const notes: string[] = [];
  const trusted = openTrusted(options, notes);
  const reports: LogReport[] = [];
  for (const log of logs) {
    const files = await logSegments(log);
    const { lines, parsed } = await readAndParse(files, options);
    const keys = options.keys ?? (await readPublishedKeys(publicKeysPath(log)).catch(() => []));
    if (options.keys === undefined && keys.length > 0) notes.push(`${log}: checkpoint keys read from ${path.basename(publicKeysPath(log))}, not pinned`);
    const checkpoints = await readCheckpointNotes(checkpointsPath(log));
    const origin = originOf(lines, parsed);
    const r = verifyEvidence({
      origin,
      lines,
      parsed,
      firstSeq: 0,
      filtered: false,
      checkpoints,
      proofs: { prefix: { size: 0, hashes: [] }, consistency: [], inclusion: [] },
      keys,
      trusted: trusted?.origin === origin ? trusted : undefined,
    });
    if (checkpoints.length === 0) r.notes.push('no checkpoints: only the hash chain was checked');
    reports.push({ origin, source: log, events: r.events, attested: r.attested, findings: sortFindings(r.findings), notes: r.notes });
  }
  return finish(reports, logs.length === 0 ? [{ kind: 'missing_file', where: target, message: 'no audit log found' }] : [], notes);
}

async function verifyBundle(dir: string, options: VerifyOptions): Promise<VerifyReport> {
  const findings: Finding[] = [];
  const notes: string[] = [];
  const bundleKeys = await readFile(path.join(dir, KEYS_FILE), 'utf8')
    .then((t) => (JSON.parse(t) as { keys: BundleKey[] }).keys)
    .catch(() => [] as BundleKey[]);
  if (options.keys === undefined) notes.push('keys taken from the bundle itself, not pinned: pass --keys to pin them');
  const trustedKeys: TrustedKey[] = options.keys ?? bundleKeys;
  const noteText = await readFile(path.join(dir, MANIFEST_NOTE), 'utf8');
  let manifest: Manifest;
  try {
    const opened = verifyNote(noteText, trustedKeys.flatMap((k) => safeVerifier(k.vkey)));
    manifest = JSON.parse(opened.text) as Manifest;
    if (opened.verifiedBy.length === 0) findings.push({ kind: 'bad_manifest', where: MANIFEST_NOTE, message: 'manifest is not signed by a trusted key' });
  } catch (err) {
    return finish([], [{ kind: 'bad_manifest', where: MANIFEST_NOTE, message: `unreadable manifest: ${(err as Error).message}` }], notes);
  }
  for (const [rel, sha] of Object.entries(manifest.files)) {
    const bytes = await readFile(path.join(dir, rel)).catch(() => undefined);
    if (bytes === undefined) findings.push({ kind: 'missing_file', where: rel, message: 'listed in the manifest but missing' });
    else if (createHash('sha256').update(bytes).digest('hex') !== sha) findings.push({ kind: 'bad_manifest', where: rel, message: 'file differs from the SHA-256 in the signed manifest' });
  }
  const trusted = openTrusted(options, notes);
  const reports: LogReport[] = [];
  for (const log of manifest.logs) {
    const eventsFile = path.join(dir, log.dir, 'events.ndjson');
    const { lines, parsed } = await readAndParse([eventsFile], options);
    const proofs = JSON.parse(await readFile(path.join(dir, log.dir, 'proofs.json'), 'utf8')) as BundleProofs;
    const r = verifyEvidence({
      origin: log.origin,
      lines,
      parsed,
      firstSeq: log.first_seq,
      declaredEnd: log.filtered ? undefined : log.end_seq,
      filtered: log.filtered,
      checkpoints: await readCheckpointNotes(path.join(dir, log.dir, 'checkpoints.ndjson')),
      proofs,
      keys: trustedKeys.filter((k) => !('origin' in k) || (k as BundleKey).origin === log.origin),
      trusted: trusted?.origin === log.origin ? trusted : undefined,
    });
    reports.push({ origin: log.origin, source: path.join(dir, log.dir), events: r.events, attested: r.attested, findings: sortFindings(r.findings), notes: r.notes });
  }
  return finish(reports, findings, notes);
}

function openTrusted(options: VerifyOptions, notes: string[]): Checkpoint | undefined {
  if (options.trustedCheckpoint === undefined) return undefined;
  if (options.keys === undefined) notes.push('the trusted checkpoint is checked against unpinned keys');
  const opened = verifyNote(options.trustedCheckpoint, (options.keys ?? []).flatMap((k) => safeVerifier(k.vkey)));
  if (options.keys !== undefined && opened.verifiedBy.length === 0) throw new Error('the trusted checkpoint is not signed by a pinned key');
  return parseCheckpointText(opened.text);
}

function finish(logs: LogReport[], findings: Finding[], notes: string[]): VerifyReport {
  const ok = findings.length === 0 && logs.every((l) => l.findings.length === 0);
  return { ok, logs, findings, notes };
}

/** The files' lines and, for a large log, their parse from worker threads (else checkChain parses inline). */
async function readAndParse(files: string[], options: VerifyOptions): Promise<{ lines: LogLine[]; parsed: ParsedLine[] | undefined }> {
  const parallel = await readAndParseParallel(files, options.parallelMinBytes);
  return parallel ?? { lines: await readAllLines(files), parsed: undefined };
}

async function readCheckpointNotes(file: string): Promise<{ note: string; where: string }[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line, i) => ({ line, where: `${file}:${i + 1}` }))
    .filter(({ line }) => line !== '')
    .map(({ line, where }) => {
      try {
        return { note: (JSON.parse(line) as { note: string }).note, where };
      } catch {
        return { note: line, where };
      }
    });
}

/** The origin of the first line that is JSON. Lines parsed on a worker come without text: a valid entry's parse
 * stands in for them (the first line is always read by the calling thread, so this matters only for a log whose
 * opening lines are all garbage). */
function originOf(lines: LogLine[], parsed: ParsedLine[] | undefined): string | undefined {
  for (const [i, line] of lines.entries()) {
    if (line.text === '' && parsed !== undefined) {
      const p = parsed[i];
      if (p !== undefined && typeof p !== 'string') return p.origin;
      continue;
    }
    try {
      return (JSON.parse(line.text) as { origin: string }).origin;
    } catch {
    }
  }
  return undefined;
}

function safeVerifier(vkey: string) {
  try {
    return [parseVerifierKey(vkey)];
  } catch {
    return [];
  }
}
