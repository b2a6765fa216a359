/**
 * The verification core shared by `audit verify` on a live log folder and on an export bundle: the hash chain,
 * checkpoint signatures against pinned keys and their validity windows, recomputed roots against every
 * checkpoint, consistency and inclusion proofs, monotonic checkpoint sizes and times, and what is unattested.
 */
import { checkChain, type ParsedLine } from './chain_check.ts';
import type { BundleProofs } from './bundle_format.ts';
import { parseCheckpointText, type Checkpoint } from './checkpoint.ts';
import type { Finding } from './findings.ts';
import type { LogLine } from './log_files.ts';
import { CompactRange, verifyConsistency, verifyInclusion } from './merkle.ts';
import { parseVerifierKey, verifyNote } from './note.ts';

export interface TrustedKey {
  vkey: string;
  not_before?: string | undefined;
  not_after?: string | undefined;
}

export interface LogEvidence {
  origin: string | undefined;
  lines: LogLine[];
  /** `parseLine` of every line, when computed ahead (on worker threads for a large log). */
  parsed?: readonly ParsedLine[] | undefined;
  /** Seq of the first event (0 for a whole log). */
  firstSeq: number;
  /** One past the last seq the source claims to hold (bundle manifest); undefined for a live log. */
  declaredEnd?: number | undefined;
  filtered: boolean;
  checkpoints: { note: string; where: string }[];
  proofs: BundleProofs;
  keys: TrustedKey[];
  trusted?: Checkpoint | undefined;
}

export interface EvidenceReport {
  origin: string | undefined;
  events: number;
  attested: number;
  findings: Finding[];
  notes: string[];
  /** Root of the tree at every size reached while replaying the lines (contiguous sources). */
  checkpoints: Checkpoint[];
}

/** Verifies one log's lines against its checkpoints and proofs. */
export function verifyEvidence(ev: LogEvidence): EvidenceReport {
  const { entries, findings: chainFindings } = checkChain(ev.lines, ev.filtered ? undefined : ev.firstSeq, ev.parsed);
  const findings = ev.filtered ? chainFindings.filter((f) => f.kind !== 'deleted') : chainFindings;
  const notes: string[] = [];
  const origin = ev.origin ?? entries[0]?.origin;
  const checkpoints = verifyCheckpoints(ev, origin, findings);
  const lastSize = Math.max(0, ...checkpoints.map((c) => c.size));

  if (ev.filtered) {
    const bySize = new Map(checkpoints.map((c) => [c.size, c]));
    const proofs = new Map(ev.proofs.inclusion.map((p) => [p.seq, p]));
    for (const entry of entries) {
      const proof = proofs.get(entry.seq);
      const cp = proof === undefined ? undefined : bySize.get(proof.size);
      if (entry.seq >= lastSize) continue;
      if (proof === undefined || cp === undefined) {
        findings.push({ kind: 'inserted', where: entry.where, seq: entry.seq, message: 'event has no inclusion proof in a checkpoint' });
      } else if (!verifyInclusion(entry.seq, cp.size, entry.leaf, proof.proof.map(hexBuf), cp.root)) {
        findings.push({ kind: 'modified', where: entry.where, seq: entry.seq, message: `event is not the leaf ${entry.seq} of checkpoint ${cp.size}` });
      }
    }
  } else {
    const end = ev.firstSeq + entries.length;
    // A trusted checkpoint inside the range is compared like any other: its root must be recomputed exactly.
    const trusted = ev.trusted !== undefined && ev.trusted.size <= end && ev.trusted.size >= ev.firstSeq ? [ev.trusted] : [];
    replayRoots(ev, entries.map((e) => e.leaf), [...checkpoints, ...trusted], findings);
  }
  const end = ev.filtered ? lastSize : ev.firstSeq + entries.length;
  const unattested = entries.filter((e) => e.seq >= lastSize);
  if (unattested.length > 0) {
    notes.push(`${unattested.length} event(s) after the last checkpoint (seq ${unattested[0]!.seq}..${unattested[unattested.length - 1]!.seq}) are unattested`);
  }
  if (ev.trusted !== undefined) checkTrusted(ev, ev.trusted, checkpoints, end, findings, notes);
  return { origin, events: entries.length, attested: entries.length - unattested.length, findings, notes, checkpoints };
}

function verifyCheckpoints(ev: LogEvidence, origin: string | undefined, findings: Finding[]): Checkpoint[] {
  const keys = ev.keys.flatMap((k) => {
    try {
      return [{ verifier: parseVerifierKey(k.vkey), from: time(k.not_before, -Infinity), to: time(k.not_after, Infinity) }];
    } catch {
      return [];
    }
  });
  const good: Checkpoint[] = [];
  let previous: Checkpoint | undefined;
  for (const { note, where } of ev.checkpoints) {
    let cp: Checkpoint;
    let signers: ReturnType<typeof verifyNote>['verifiedBy'];
    try {
      const opened = verifyNote(note, keys.map((k) => k.verifier));
      cp = parseCheckpointText(opened.text);
      signers = opened.verifiedBy;
    } catch (err) {
      findings.push({ kind: 'forged_checkpoint', where, message: `unreadable checkpoint: ${(err as Error).message}` });
      continue;
    }
    const inWindow = signers.some((v) => {
      const key = keys.find((k) => k.verifier === v)!;
      return cp.time === undefined || (key.from <= cp.time && cp.time <= key.to);
    });
    if (signers.length === 0 || cp.origin !== origin || !inWindow) {
      const why = signers.length === 0 ? 'no valid signature by a trusted key' : cp.origin !== origin ? `origin ${cp.origin}` : "signed outside the key's validity window";
      findings.push({ kind: 'forged_checkpoint', where, seq: cp.size, message: `checkpoint of size ${cp.size}: ${why}` });
      continue;
    }
    if (previous !== undefined && (cp.size < previous.size || (cp.time ?? 0) < (previous.time ?? 0))) {
      findings.push({ kind: 'checkpoint_regression', where, seq: cp.size, message: `checkpoint size/time goes backwards (${previous.size} → ${cp.size})` });
    }
    previous = cp;
    good.push(cp);
  }
  return good;
}

/** Replays the lines into the tree from the prefix frontier and compares the root at every checkpoint size. */
function replayRoots(ev: LogEvidence, leaves: Buffer[], checkpoints: Checkpoint[], findings: Finding[]): void {
  const range = new CompactRange(ev.proofs.prefix.size, ev.proofs.prefix.hashes.map(hexBuf));
  const bySize = new Map<number, Checkpoint[]>();
  for (const cp of checkpoints) bySize.set(cp.size, [...(bySize.get(cp.size) ?? []), cp]);
  const compare = (size: number, root: Buffer): void => {
    for (const cp of bySize.get(size) ?? []) {
      if (!cp.root.equals(root)) {
        findings.push({ kind: 'root_mismatch', where: `checkpoint ${size}`, seq: size - 1, message: `recomputed root of the first ${size} events differs from the signed checkpoint: events before seq ${size} were altered` });
      }
    }
  };
  compare(range.size, range.root());
  for (const leaf of leaves) {
    range.append(leaf);
    if (bySize.has(range.size)) compare(range.size, range.root());
  }
  const end = range.size;
  const endRoot = range.root();
  const tail = ev.proofs.tail;
  for (const cp of checkpoints.filter((c) => c.size > end)) {
    const proven = tail !== undefined && tail.from === end && tail.to === cp.size && verifyConsistency(end, cp.size, endRoot, cp.root, tail.proof.map(hexBuf));
    const linked = tail !== undefined && tail.from === end && cp.size > tail.to && consistencyChain(ev.proofs, checkpoints, tail.to, cp);
    if (!proven && !linked) {
      findings.push({ kind: 'truncated', where: `checkpoint ${cp.size}`, seq: end, message: `checkpoint attests ${cp.size} events but the log ends at seq ${end - 1}` });
    }
  }
  if (ev.declaredEnd !== undefined && end < ev.declaredEnd) {
    findings.push({ kind: 'truncated', where: 'events', seq: end, message: `the export declares events up to seq ${ev.declaredEnd - 1} but holds only up to seq ${end - 1}` });
  }
  for (const c of ev.proofs.consistency) {
    const a = checkpoints.find((cp) => cp.size === c.from);
    const b = checkpoints.find((cp) => cp.size === c.to);
    if (a !== undefined && b !== undefined && !verifyConsistency(c.from, c.to, a.root, b.root, c.proof.map(hexBuf))) {
      findings.push({ kind: 'bad_proof', where: `consistency ${c.from}→${c.to}`, seq: c.from, message: 'checkpoints are not consistent (a fork or a forged checkpoint)' });
    }
  }
}

function consistencyChain(proofs: BundleProofs, checkpoints: Checkpoint[], from: number, target: Checkpoint): boolean {
  let size = from;
  while (size < target.size) {
    const step = proofs.consistency.find((c) => c.from === size);
    if (step === undefined) return false;
    size = step.to;
  }
  return size === target.size && checkpoints.some((c) => c.size === from);
}

function checkTrusted(ev: LogEvidence, trusted: Checkpoint, checkpoints: Checkpoint[], end: number, findings: Finding[], notes: string[]): void {
  const same = checkpoints.find((c) => c.size === trusted.size);
  if (same !== undefined && !same.root.equals(trusted.root)) {
    findings.push({ kind: 'forged_checkpoint', where: `checkpoint ${trusted.size}`, seq: trusted.size, message: 'differs from the trusted checkpoint of the same size (fork)' });
  } else if (trusted.size > end && ev.declaredEnd === undefined) {
    findings.push({ kind: 'truncated', where: 'trusted checkpoint', seq: end, message: `trusted checkpoint attests ${trusted.size} events; the log ends at seq ${end - 1}` });
  } else if (same === undefined && (trusted.size > end || trusted.size < ev.firstSeq || ev.filtered)) {
    notes.push(`trusted checkpoint of size ${trusted.size} has no counterpart here to compare with`);
  }
}

function time(value: string | undefined, fallback: number): number {
  return value === undefined ? fallback : Date.parse(value);
}

function hexBuf(hex: string): Buffer {
  return Buffer.from(hex, 'hex');
}
