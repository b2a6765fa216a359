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
import { parseCheckpointText, type Checkpoint } from '../log/checkpoint.ts';
import { sortFindings, type Finding } from './findings.ts';
import { readPublishedKeys } from '../log/published_keys.ts';
import { checkpointsPath, logSegments, publicKeysPath, readAllLines, type LogLine } from '../log/log_files.ts';
import { parseVerifierKey, verifyNote, type NoteVerifier } from '../log/note.ts';
import { parseCosignerKey } from '../log/cosignature.ts';
import type { ParsedLine } from './chain_check.ts';
import { readAndParseParallel } from './parse_parallel.ts';
import { verifyEvidence, type EvidenceReport, type TrustedKey } from './verify_evidence.ts';

export interface VerifyOptions {
  /** Pinned keys (checkpoint and export keys). */
  keys?: TrustedKey[] | undefined;
  /** A checkpoint note the auditor already trusts. */
  trustedCheckpoint?: string | undefined;
  /** Logs of at least this many bytes are parsed on worker threads too (default PARALLEL_MIN_BYTES). */
  parallelMinBytes?: number | undefined;
  /** Report events no checkpoint covers as notes instead of `unattested` findings (`--allow-unattested`). */
  allowUnattested?: boolean | undefined;
  /** Witness verifier keys (tlog-cosignature, type 0x04): each must have cosigned the end of every log. */
  witnessKeys?: string[] | undefined;
  /** How long after an event its checkpoint may still be missing (checkpoint interval plus a margin). */
  graceMs?: number | undefined;
  /** The instant of verification (ms since the epoch); default now. */
  now?: number | undefined;
}

/** Checkpoint interval (1 s by default) plus a margin for a slow disk or a paused process. */
export const DEFAULT_ATTEST_GRACE_MS = 1000 + 60_000;

export interface LogReport {
  origin: string | undefined;
  source: string;
  events: number;
  attested: number;
  /** Events past the last valid checkpoint (reported as `unattested` once older than the grace). */
  unattested?: number | undefined;
  /** Per required witness: how many events its cosignatures cover here. */
  witnessed?: { witness: string; size: number }[] | undefined;
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
  const witnesses = openWitnesses(options, notes);
  const attestBefore = (options.now ?? Date.now()) - (options.graceMs ?? DEFAULT_ATTEST_GRACE_MS);
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
      attestBefore,
      allowUnattested: options.allowUnattested,
      witnesses,
    });
    if (checkpoints.length === 0) r.notes.push('no checkpoints next to the log');
    reports.push(logReport(origin, log, r));
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
  const checkpointKeyNames = new Set(bundleKeys.filter((k) => k.role === 'checkpoint').map((k) => k.origin));
  const noteText = await readFile(path.join(dir, MANIFEST_NOTE), 'utf8');
  let manifest: Manifest;
  try {
    const opened = verifyNote(noteText, trustedKeys.flatMap((k) => safeVerifier(k.vkey)));
    manifest = JSON.parse(opened.text) as Manifest;
    // A checkpoint key (named for a log's origin) attests that log's tree, never a bundle's contents.
    const origins = new Set(manifest.logs.map((l) => l.origin));
    const signers = opened.verifiedBy.filter((v) => !origins.has(v.name) && !checkpointKeyNames.has(v.name));
    if (signers.length === 0) findings.push({ kind: 'bad_manifest', where: MANIFEST_NOTE, message: 'manifest is not signed by a trusted export key' });
  } catch (err) {
    return finish([], [{ kind: 'bad_manifest', where: MANIFEST_NOTE, message: `unreadable manifest: ${(err as Error).message}` }], notes);
  }
  for (const [rel, sha] of Object.entries(manifest.files)) {
    const bytes = await readFile(path.join(dir, rel)).catch(() => undefined);
    if (bytes === undefined) findings.push({ kind: 'missing_file', where: rel, message: 'listed in the manifest but missing' });
    else if (createHash('sha256').update(bytes).digest('hex') !== sha) findings.push({ kind: 'bad_manifest', where: rel, message: 'file differs from the SHA-256 in the signed manifest' });
  }
  const trusted = openTrusted(options, notes);
  const witnesses = openWitnesses(options, notes);
  // Events of the bundle older than its (signed) creation time minus the grace must be attested.
  const attestBefore = Date.parse(manifest.created) - (options.graceMs ?? DEFAULT_ATTEST_GRACE_MS);
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
      keys: trustedKeys.filter((k) => k.origin === undefined || k.origin === log.origin),
      trusted: trusted?.origin === log.origin ? trusted : undefined,
      attestBefore: Number.isNaN(attestBefore) ? undefined : attestBefore,
      allowUnattested: options.allowUnattested,
      witnesses,
    });
    reports.push(logReport(log.origin, path.join(dir, log.dir), r));
  }
  return finish(reports, findings, notes);
}

function openTrusted(options: VerifyOptions, notes: string[]): Checkpoint | undefined {
  if (options.trustedCheckpoint === undefined) return undefined;
  if (options.keys === undefined) notes.push('the trusted checkpoint is checked against unpinned keys');
  const opened = verifyNote(options.trustedCheckpoint, (options.keys ?? []).flatMap((k) => safeVerifier(k.vkey)));
  const checkpoint = parseCheckpointText(opened.text);
  if (options.keys !== undefined && !opened.verifiedBy.some((v) => v.name === checkpoint.origin)) {
    throw new Error('the trusted checkpoint is not signed by a pinned key of its origin');
  }
  return checkpoint;
}

function openWitnesses(options: VerifyOptions, notes: string[]): NoteVerifier[] | undefined {
  if (options.allowUnattested === true) notes.push('--allow-unattested: events that no valid checkpoint covers are reported as notes, not findings');
  if (options.witnessKeys === undefined || options.witnessKeys.length === 0) return undefined;
  return options.witnessKeys.map((k) => parseCosignerKey(k.trim()));
}

function logReport(origin: string | undefined, source: string, r: EvidenceReport): LogReport {
  return {
    origin,
    source,
    events: r.events,
    attested: r.attested,
    unattested: r.unattested,
    ...(r.witnessed.length > 0 ? { witnessed: r.witnessed } : {}),
    findings: sortFindings(r.findings),
    notes: r.notes,
  };
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
