/**
 * Reads the events and checkpoints a report is drawn from, from the same input the verifier checked: an export
 * bundle (the logs its manifest lists), a folder of live logs, or one log. Each event is cut down to the facts a
 * report shows; the `sensitive` HMACs, `prev` hashes and certificate fingerprints never leave this file, so no
 * later step can leak them into the page.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AuditEventInput } from '../contract.ts';
import { MANIFEST_NOTE, type Manifest } from '../verify/bundle_format.ts';
import { checkpointsPath, logSegments, readLineRange } from '../log/log_files.ts';
import { parseNote } from '../log/note.ts';
import { findLogs } from '../verify/verify_path.ts';

/**
 * One event as the report shows it: no secrets, no HMACs, only what an auditor reads. What the event is about
 * (tenant, job, executor, crefs, leases, request, source) keeps the trail's own fields; the rest is read loosely.
 */
export interface ReportEvent extends Pick<AuditEventInput, 'tenant' | 'job_id' | 'executor' | 'crefs' | 'lease_ids' | 'request_id' | 'source'> {
  origin: string;
  seq: number;
  time: string;
  action: string;
  outcome: string;
  code?: string | undefined;
  step?: string | undefined;
  reason?: string | undefined;
  /** `type:id` of the actor. */
  actor?: string | undefined;
  detail?: Record<string, unknown> | undefined;
  /** True when job, tenant or executor were filled in from the job a lease belongs to (revocations name only leases). */
  via_lease?: boolean | undefined;
}

/** The checkpoints of one log as found in the input, and their signature lines. */
export interface LogCheckpoints {
  origin: string | undefined;
  checkpoints: number;
  /** Signature lines by the log's own key name. */
  signatures: number;
  /** Signature lines by any other name (witnesses). */
  cosignatures: number;
}

export interface ReportInput {
  events: ReportEvent[];
  checkpoints: LogCheckpoints[];
}

/**
 * Reads what `target` holds, each file only up to `sizes` (its size when verification began, so that a log
 * still being appended to shows no event the verifier did not read; unlisted files are read whole).
 */
export async function readReportInput(target: string, sizes: ReadonlyMap<string, number> = new Map()): Promise<ReportInput> {
  const sources = await sourcesOf(target);
  const events: ReportEvent[] = [];
  const checkpoints: LogCheckpoints[] = [];
  for (const source of sources) {
    const lengths = await Promise.all(source.files.map(async (f) => sizes.get(f) ?? (await stat(f).catch(() => undefined))?.size ?? 0));
    const end = lengths.reduce((a, b) => a + b, 0);
    for (const line of end === 0 ? [] : await readLineRange(source.files, lengths, 0, end)) {
      const event = line.complete ? slim(line.text) : undefined;
      if (event !== undefined) events.push(event);
    }
    checkpoints.push(countSignatures(source.origin, await readNotes(source.checkpoints)));
  }
  events.sort((a, b) => a.time.localeCompare(b.time) || a.origin.localeCompare(b.origin) || a.seq - b.seq);
  return { events, checkpoints };
}

interface Source {
  origin: string | undefined;
  files: string[];
  checkpoints: string;
}

/** The event files and checkpoint file of every log in the input. */
export async function sourcesOf(target: string): Promise<Source[]> {
  const info = await stat(target).catch(() => undefined);
  if (info === undefined) return [];
  const manifestFile = path.join(target, MANIFEST_NOTE);
  if (info.isDirectory() && (await stat(manifestFile).catch(() => undefined)) !== undefined) {
    // The verifier has already judged the manifest; an unreadable one leaves nothing to show but its findings.
    const manifest = await readFile(manifestFile, 'utf8')
      .then((note) => JSON.parse(parseNote(note).text) as Manifest)
      .catch(() => undefined);
    return (manifest?.logs ?? []).map((log) => ({
      origin: log.origin,
      files: [path.join(target, log.dir, 'events.ndjson')],
      checkpoints: path.join(target, log.dir, 'checkpoints.ndjson'),
    }));
  }
  const logs = info.isDirectory() ? await findLogs(target) : [target];
  const sources: Source[] = [];
  for (const log of logs) sources.push({ origin: undefined, files: await logSegments(log), checkpoints: checkpointsPath(log) });
  return sources;
}

const SECRET_KEY = /secret|password|passwd|nonce|credential|^token$|^value$/i;

/** The report's view of one line, or undefined for a line that is not an event (already a finding). */
function slim(text: string): ReportEvent | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof raw.origin !== 'string' || typeof raw.seq !== 'number' || typeof raw.time !== 'string' || typeof raw.action !== 'string') return undefined;
  const actor = raw.actor as { type?: unknown; id?: unknown } | undefined;
  const detail = raw.detail !== null && typeof raw.detail === 'object' ? (raw.detail as Record<string, unknown>) : undefined;
  return {
    origin: raw.origin,
    seq: raw.seq,
    time: raw.time,
    action: raw.action,
    outcome: str(raw.outcome) ?? '',
    code: str(raw.code),
    step: str(raw.step),
    reason: str(raw.reason),
    actor: actor === undefined ? undefined : `${String(actor.type)}:${String(actor.id)}`,
    tenant: str(raw.tenant),
    job_id: str(raw.job_id),
    executor: str(raw.executor),
    crefs: strings(raw.crefs),
    lease_ids: strings(raw.lease_ids),
    request_id: str(raw.request_id),
    source: str(raw.source),
    // Detail holds non-secret facts by contract; keys that sound secret are dropped anyway (defence in depth).
    detail: detail === undefined ? undefined : (withoutSecretKeys(detail) as Record<string, unknown>),
  };
}

/** The value with every member whose name sounds secret removed, at any depth. */
function withoutSecretKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecretKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([k]) => !SECRET_KEY.test(k)).map(([k, v]) => [k, withoutSecretKeys(v)]));
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

async function readNotes(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      try {
        return (JSON.parse(l) as { note: string }).note;
      } catch {
        return l;
      }
    });
}

function countSignatures(origin: string | undefined, notes: string[]): LogCheckpoints {
  const counts: LogCheckpoints = { origin, checkpoints: notes.length, signatures: 0, cosignatures: 0 };
  for (const note of notes) {
    try {
      const { text, signatures } = parseNote(note);
      const logName = origin ?? text.split('\n')[0];
      counts.origin ??= logName;
      for (const s of signatures) {
        if (s.name === logName) counts.signatures++;
        else counts.cosignatures++;
      }
    } catch {
      // An unreadable checkpoint is the verifier's finding; it has no signatures to count.
    }
  }
  return counts;
}
