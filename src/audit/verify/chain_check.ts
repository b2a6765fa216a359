/**
 * Checks the hash chain of a sequence of audit lines and names what is wrong: a line that no longer hashes to
 * its successor's `prev` was modified; a second line with an existing seq was inserted; a gap in seq means
 * deleted lines; a seq that goes backwards means reordered lines; a last line without newline is a torn tail.
 */
import { isCanonicalJsonText } from '../../envelope/canonical.ts';
import { GENESIS_PREV } from '../log/line.ts';
import { lineAndLeafHash } from '../log/merkle.ts';
import type { Finding } from './findings.ts';
import type { LogLine } from '../log/log_files.ts';

export interface ChainEntry {
  seq: number;
  prev: string;
  hash: string;
  origin: string;
  time: string;
  where: string;
  /** RFC 6962 leaf hash of the line (its Merkle leaf), computed with the chain hash from one UTF-8 encoding. */
  leaf: Buffer;
  /** Whether the line is exactly its RFC 8785 form. The parsed event itself is not kept: holding one object
   * graph per line kept a whole log's worth alive and made garbage collection a quarter of verify time. */
  canonical: boolean;
}

export interface ChainResult {
  entries: ChainEntry[];
  findings: Finding[];
}

/** What one line yields on its own (no neighbours needed): its fields and hashes, or why it is malformed. */
export type ParsedLine = Omit<ChainEntry, 'where'> | string;

/**
 * Parses and chain-checks lines; `expectFirstSeq` (0 for a whole log) makes a missing head count as deleted.
 * `parsed`, when given, holds `parseLine` of every line already (parse_parallel.ts computes it on worker threads).
 */
export function checkChain(lines: Iterable<LogLine>, expectFirstSeq?: number, parsed?: readonly ParsedLine[]): ChainResult {
  const findings: Finding[] = [];
  const entries: ChainEntry[] = [];
  let index = -1;
  for (const line of lines) {
    index++;
    const where = `${line.file}:${line.lineNo}`;
    if (!line.complete) {
      findings.push({ kind: 'torn_tail', where, message: 'last line has no newline (torn write)' });
      continue;
    }
    const fields = parsed?.[index] ?? parseLine(line.text);
    const entry = typeof fields === 'string' ? fields : { ...fields, where };
    if (typeof entry === 'string') findings.push({ kind: 'malformed', where, message: entry });
    else {
      if (!entry.canonical) {
        findings.push({ kind: 'modified', where, seq: entry.seq, message: 'line is not in RFC 8785 canonical form' });
      }
      entries.push(entry);
    }
  }

  // The usual log has consecutive seqs: nothing can be inserted, reordered or missing inside it, so the
  // per-seq index (a tenth of verify time on a large log) is built only for a log that is not.
  const consecutive = entries.every((e, i) => e.seq === entries[0]!.seq + i);
  const kept = consecutive ? entries : irregularSeqs(entries, findings);
  const firstSeq = kept.length === 0 ? undefined : kept.reduce((min, e) => Math.min(min, e.seq), kept[0]!.seq);
  if (expectFirstSeq !== undefined && firstSeq !== undefined && firstSeq > expectFirstSeq) {
    findings.push({ kind: 'deleted', where: kept[0]!.where, seq: expectFirstSeq, message: `${seqSpan(expectFirstSeq, firstSeq - 1)} missing at the start` });
  }
  if (!consecutive) gapFindings(kept, findings);

  const chainBySeq = consecutive ? undefined : new Map(kept.map((e) => [e.seq, e]));
  for (const [i, entry] of kept.entries()) {
    if (entry.seq === 0 && entry.prev !== GENESIS_PREV) {
      findings.push({ kind: 'modified', where: entry.where, seq: 0, message: 'first event does not start from the genesis prev' });
    }
    const before = chainBySeq === undefined ? kept[i - 1] : chainBySeq.get(entry.seq - 1);
    if (before !== undefined && before.hash !== entry.prev) {
      findings.push({
        kind: 'modified',
        where: before.where,
        seq: before.seq,
        message: `seq ${before.seq} does not hash to the prev recorded by seq ${entry.seq}`,
      });
    }
  }
  const origin = kept[0]?.origin;
  const stray = kept.find((e) => e.origin !== origin);
  if (stray !== undefined) {
    findings.push({ kind: 'origin_mismatch', where: stray.where, seq: stray.seq, message: `origin ${stray.origin} in a log of ${origin}` });
  }
  return { entries, findings };
}

/** Inserted (a second line with a taken seq) and reordered lines; returns the lines the chain keeps. */
function irregularSeqs(entries: ChainEntry[], findings: Finding[]): ChainEntry[] {
  const bySeq = new Map<number, ChainEntry[]>();
  for (const entry of entries) {
    const group = bySeq.get(entry.seq);
    if (group === undefined) bySeq.set(entry.seq, [entry]);
    else group.push(entry);
  }
  const inserted = new Set<ChainEntry>();
  for (const [seq, group] of bySeq) {
    if (group.length < 2) continue;
    const next = bySeq.get(seq + 1)?.[0];
    const before = bySeq.get(seq - 1)?.[0];
    const genuine = group.find((e) => next?.prev === e.hash) ?? group.find((e) => before?.hash === e.prev) ?? group[0]!;
    for (const e of group) {
      if (e === genuine) continue;
      inserted.add(e);
      findings.push({ kind: 'inserted', where: e.where, seq, message: `a second line claims seq ${seq} (the chain holds ${genuine.where})` });
    }
  }
  const kept = entries.filter((e) => !inserted.has(e));
  let maxSeen = -1;
  for (const entry of kept) {
    if (entry.seq < maxSeen) {
      findings.push({ kind: 'reordered', where: entry.where, seq: entry.seq, message: `seq ${entry.seq} appears after seq ${maxSeen}` });
    }
    maxSeen = Math.max(maxSeen, entry.seq);
  }
  return kept;
}

/** Seqs missing between the first and the last kept line. */
function gapFindings(kept: ChainEntry[], findings: Finding[]): void {
  const firstOf = new Map<number, ChainEntry>();
  for (const e of kept) if (!firstOf.has(e.seq)) firstOf.set(e.seq, e);
  const seqs = [...firstOf.keys()].sort((a, b) => a - b);
  for (let i = 1; i < seqs.length; i++) {
    const [a, b] = [seqs[i - 1]!, seqs[i]!];
    if (b > a + 1) findings.push({ kind: 'deleted', where: firstOf.get(b)!.where, seq: a + 1, message: `${seqSpan(a + 1, b - 1)} missing` });
  }
}

/** `seq 4` for one missing line, `seq 4..6` for several. */
function seqSpan(first: number, last: number): string {
  return first === last ? `seq ${first}` : `seq ${first}..${last}`;
}

/** One line on its own: JSON, the chain fields, canonical form, chain and leaf hashes. */
export function parseLine(text: string): ParsedLine {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'not JSON';
  }
  const { seq, prev, origin, time } = event;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return 'not a JSON object';
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return 'no valid seq';
  if (typeof prev !== 'string' || !/^[0-9a-f]{64}$/.test(prev)) return 'no valid prev';
  if (typeof origin !== 'string' || typeof time !== 'string') return 'no origin or time';
  const { chain, leaf } = lineAndLeafHash(text);
  return { seq, prev, hash: chain, origin, time, leaf, canonical: isCanonicalJsonText(text, event) };
}
