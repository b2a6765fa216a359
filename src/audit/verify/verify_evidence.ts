/**
 * The verification core shared by `audit verify` on a live log folder and on an export bundle: the hash chain,
 * checkpoint signatures against pinned keys and their validity windows, recomputed roots against every
 * checkpoint, consistency and inclusion proofs, monotonic checkpoint sizes and times, what no checkpoint
 * attests, and (given witness keys) whether a witness cosigned the checkpoint that covers the end of the log.
 *
 * Nothing here trusts the data it checks: keys come from the caller, an event counts as attested only when the
 * root of a validly signed checkpoint was recomputed from it (or its inclusion proof verified), and events that
 * no checkpoint covers are a finding unless the caller explicitly allows them.
 */
import { checkChain, type ChainEntry, type ParsedLine } from './chain_check.ts';
import type { BundleProofs } from './bundle_format.ts';
import { parseCheckpointText, type Checkpoint } from '../log/checkpoint.ts';
import type { Finding } from './findings.ts';
import type { LogLine } from '../log/log_files.ts';
import { CompactRange, verifyConsistency, verifyInclusion } from '../log/merkle.ts';
import { parseVerifierKey, verifyNote, type NoteVerifier } from '../log/note.ts';
import { verifyCosignatures } from '../log/cosignature.ts';
import { checkWitnesses, maxOf, reportUnattested } from './verify_coverage.ts';

export interface TrustedKey {
  vkey: string;
  /** The log the key signs for (keys from a bundle's key list); a key without one is trusted for every log. */
  origin?: string | undefined;
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
  /** Events recorded before this instant (ms) must be attested; later ones may still await their checkpoint.
   * Default: every event must be. */
  attestBefore?: number | undefined;
  /** Unattested events become a note instead of a finding (`--allow-unattested`). */
  allowUnattested?: boolean | undefined;
  /** Witnesses (tlog-cosignature keys) each of which must have cosigned a checkpoint covering the end of the log. */
  witnesses?: NoteVerifier[] | undefined;
}

export interface EvidenceReport {
  origin: string | undefined;
  events: number;
  /** Events whose checkpoint root was recomputed (or whose inclusion proof verified) against a valid checkpoint. */
  attested: number;
  /** Events past the last valid checkpoint. */
  unattested: number;
  findings: Finding[];
  notes: string[];
  /** The checkpoints whose signature (and window, and cosignatures) verified, in file order. */
  checkpoints: Checkpoint[];
  /** Per required witness: the largest checkpoint size it cosigned here whose root matched. */
  witnessed: { witness: string; size: number }[];
}

export interface Verified {
  cp: Checkpoint;
  where: string;
  /** Names of the required witnesses whose cosignature on this checkpoint verified. */
  cosigners: string[];
  /** Its root was recomputed from the events here (or proven consistent with them, or an inclusion proof held). */
  matched: boolean;
}

/** Verifies one log's lines against its checkpoints and proofs. */
export function verifyEvidence(ev: LogEvidence): EvidenceReport {
  const { entries, findings: chainFindings } = checkChain(ev.lines, ev.filtered ? undefined : ev.firstSeq, ev.parsed);
  const findings = ev.filtered ? chainFindings.filter((f) => f.kind !== 'deleted') : chainFindings;
  const notes: string[] = [];
  const origin = ev.origin ?? entries[0]?.origin;
  const verified = verifyCheckpoints(ev, origin, findings);
  const lastSize = maxOf(verified, (v) => v.cp.size, 0);

  let attested = 0;
  if (ev.filtered) {
    const bySize = new Map(verified.map((v) => [v.cp.size, v]));
    const proofs = new Map(ev.proofs.inclusion.map((p) => [p.seq, p]));
    for (const entry of entries) {
      if (entry.seq >= lastSize) continue;
      const proof = proofs.get(entry.seq);
      const v = proof === undefined ? undefined : bySize.get(proof.size);
      if (proof === undefined || v === undefined) {
        findings.push({ kind: 'inserted', where: entry.where, seq: entry.seq, message: `seq ${entry.seq} has no inclusion proof in a checkpoint` });
      } else if (!verifyInclusion(entry.seq, v.cp.size, entry.leaf, proof.proof.map(hexBuf), v.cp.root)) {
        findings.push({ kind: 'modified', where: entry.where, seq: entry.seq, message: `seq ${entry.seq} is not the leaf ${entry.seq} of checkpoint ${v.cp.size}` });
      } else {
        attested++;
        for (const same of verified) if (same.cp.size === v.cp.size && same.cp.root.equals(v.cp.root)) same.matched = true;
      }
    }
  } else {
    attested = replayRoots(ev, entries, verified, findings);
  }
  if (ev.trusted !== undefined) checkTrusted(ev, ev.trusted, verified, entries, findings, notes);

  const unattested = entries.filter((e) => e.seq >= lastSize);
  reportUnattested(ev, unattested, verified.length, findings, notes);
  const witnessed = checkWitnesses(ev, entries, verified, findings);
  return {
    origin,
    events: entries.length,
    attested,
    unattested: unattested.length,
    findings,
    notes,
    checkpoints: verified.map((v) => v.cp),
    witnessed,
  };
}

function verifyCheckpoints(ev: LogEvidence, origin: string | undefined, findings: Finding[]): Verified[] {
  const keys = ev.keys.flatMap((k) => {
    try {
      // A window bound that does not parse leaves the key unusable (NaN compares false), never unbounded.
      const windowed = k.not_before !== undefined || k.not_after !== undefined;
      return [{ verifier: parseVerifierKey(k.vkey), windowed, from: time(k.not_before, -Infinity), to: time(k.not_after, Infinity) }];
    } catch {
      return [];
    }
  });
  const good: Verified[] = [];
  let previous: Checkpoint | undefined;
  for (const { note, where } of ev.checkpoints) {
    let cp: Checkpoint;
    let signers: NoteVerifier[];
    try {
      const opened = verifyNote(note, keys.map((k) => k.verifier));
      cp = parseCheckpointText(opened.text);
      signers = opened.verifiedBy;
    } catch (err) {
      findings.push({ kind: 'forged_checkpoint', where, message: `rejected checkpoint: ${(err as Error).message}` });
      continue;
    }
    // The checkpoint's signer must be a key of the log itself: its key name is the origin (tlog-checkpoint). The
    // export key, or any other pinned key, signs something else and attests nothing here.
    const own = signers.filter((v) => v.name === cp.origin);
    const inWindow = own.filter((v) => {
      const key = keys.find((k) => k.verifier === v)!;
      if (!key.windowed) return true;
      return cp.time !== undefined && key.from <= cp.time && cp.time <= key.to;
    });
    let why: string | undefined;
    if (cp.origin !== origin) why = `origin ${cp.origin}, not ${origin ?? 'the origin of this log'}`;
    else if (own.length === 0 && signers.length > 0) why = `signed only by ${signers.map((s) => s.name).join(', ')}, not by a key named for the origin (the export key signs manifests only)`;
    else if (own.length === 0) why = 'no valid signature by a trusted key';
    else if (inWindow.length === 0) why = cp.time === undefined ? 'no time line, and its key has a validity window' : "signed outside the key's validity window";
    if (why !== undefined) {
      findings.push({ kind: 'forged_checkpoint', where, seq: cp.size, message: `checkpoint of size ${cp.size}: ${why}` });
      continue;
    }
    let cosigners: string[] = [];
    if (ev.witnesses !== undefined && ev.witnesses.length > 0) {
      try {
        cosigners = verifyCosignatures(note, ev.witnesses).map((c) => c.witness.name);
      } catch (err) {
        findings.push({ kind: 'forged_checkpoint', where, seq: cp.size, message: `checkpoint of size ${cp.size}: ${(err as Error).message}` });
        continue;
      }
    }
    // The same checkpoint again (a copy that came back from a witness with its cosignature, possibly after later
    // checkpoints) is a second signature on an old statement, not a step backwards.
    const copy = good.some((g) => g.cp.size === cp.size && g.cp.root.equals(cp.root) && g.cp.time === cp.time);
    if (!copy && previous !== undefined && (cp.size < previous.size || (cp.time ?? 0) < (previous.time ?? 0))) {
      findings.push({ kind: 'checkpoint_regression', where, seq: cp.size, message: `checkpoint size/time goes backwards (${previous.size} → ${cp.size})` });
    }
    if (!copy) previous = cp;
    good.push({ cp, where, cosigners, matched: false });
  }
  return good;
}

/**
 * Replays the lines into the tree from the prefix frontier and compares the root at every checkpoint size.
 * Only the prefix of lines whose seqs follow each other is replayed: past a gap, an inserted or a reordered line,
 * leaf positions no longer match seqs and a root there proves nothing. Returns how many lines are attested.
 */
function replayRoots(ev: LogEvidence, entries: ChainEntry[], verified: Verified[], findings: Finding[]): number {
  const range = new CompactRange(ev.proofs.prefix.size, ev.proofs.prefix.hashes.map(hexBuf));
  const bySize = new Map<number, Verified[]>();
  for (const v of verified) bySize.set(v.cp.size, [...(bySize.get(v.cp.size) ?? []), v]);
  let attestedEnd = -1;
  const compare = (size: number, root: Buffer): void => {
    for (const v of bySize.get(size) ?? []) {
      if (v.cp.root.equals(root)) {
        v.matched = true;
        attestedEnd = Math.max(attestedEnd, size);
      } else {
        findings.push({ kind: 'root_mismatch', where: v.where, seq: size - 1, message: `recomputed root of the first ${size} events differs from the signed checkpoint: events before seq ${size} were altered` });
      }
    }
  };
  compare(range.size, range.root());
  let replayed = 0;
  for (const entry of entries) {
    if (entry.seq !== range.size) break;
    range.append(entry.leaf);
    replayed++;
    if (bySize.has(range.size)) compare(range.size, range.root());
  }
  const end = range.size;
  const endRoot = range.root();
  const lastSeq = maxOf(entries, (e) => e.seq, ev.firstSeq - 1);
  const tail = ev.proofs.tail;
  for (const v of verified.filter((c) => c.cp.size > end)) {
    // Past an irregularity the chain findings already name what is wrong; the checkpoint is simply not matched.
    if (replayed < entries.length && v.cp.size <= lastSeq + 1) continue;
    const proven = tail !== undefined && tail.from === end && tail.to === v.cp.size && verifyConsistency(end, v.cp.size, endRoot, v.cp.root, tail.proof.map(hexBuf));
    const linked = tail !== undefined && tail.from === end && v.cp.size > tail.to && consistencyChain(ev.proofs, verified, tail.to, v.cp);
    if (proven || linked) {
      v.matched = true;
      attestedEnd = Math.max(attestedEnd, end);
    } else {
      findings.push({ kind: 'truncated', where: v.where, seq: lastSeq + 1, message: `checkpoint attests ${v.cp.size} events but the log ends at seq ${lastSeq}` });
    }
  }
  if (ev.declaredEnd !== undefined && lastSeq + 1 < ev.declaredEnd) {
    findings.push({ kind: 'truncated', where: 'events', seq: lastSeq + 1, message: `the export declares events up to seq ${ev.declaredEnd - 1} but holds only up to seq ${lastSeq}` });
  }
  for (const c of ev.proofs.consistency) {
    const a = verified.find((v) => v.cp.size === c.from);
    const b = verified.find((v) => v.cp.size === c.to);
    if (a !== undefined && b !== undefined && !verifyConsistency(c.from, c.to, a.cp.root, b.cp.root, c.proof.map(hexBuf))) {
      findings.push({ kind: 'bad_proof', where: `consistency ${c.from}→${c.to}`, seq: c.from, message: 'checkpoints are not consistent (a fork or a forged checkpoint)' });
    }
  }
  return Math.max(0, Math.min(replayed, attestedEnd - ev.firstSeq));
}

function consistencyChain(proofs: BundleProofs, verified: Verified[], from: number, target: Checkpoint): boolean {
  let size = from;
  while (size < target.size) {
    const step = proofs.consistency.find((c) => c.from === size);
    if (step === undefined) return false;
    size = step.to;
  }
  return size === target.size && verified.some((v) => v.cp.size === from);
}

function checkTrusted(ev: LogEvidence, trusted: Checkpoint, verified: Verified[], entries: ChainEntry[], findings: Finding[], notes: string[]): void {
  const end = ev.filtered ? maxOf(verified, (v) => v.cp.size, 0) : ev.firstSeq + entries.length;
  const same = verified.find((v) => v.cp.size === trusted.size);
  if (same !== undefined && !same.cp.root.equals(trusted.root)) {
    findings.push({ kind: 'forged_checkpoint', where: same.where, seq: trusted.size, message: 'differs from the trusted checkpoint of the same size (fork)' });
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
