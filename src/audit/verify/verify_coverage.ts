/**
 * What the checkpoints cover: events no valid checkpoint attests (`unattested`), and, given witness keys, events no
 * witness-cosigned checkpoint covers (`unwitnessed`). Split from verify_evidence.ts, which decides what is valid.
 */
import type { ChainEntry } from './chain_check.ts';
import type { Finding } from './findings.ts';
import type { LogEvidence, Verified } from './verify_evidence.ts';

/** Events past the last valid checkpoint: a finding once they are older than the checkpoint interval allows. */
export function reportUnattested(ev: LogEvidence, unattested: ChainEntry[], checkpoints: number, findings: Finding[], notes: string[]): void {
  if (unattested.length === 0) return;
  // Without any valid checkpoint nothing is attested, however recent: the grace is for a tail past a checkpoint.
  const before = checkpoints === 0 ? Infinity : (ev.attestBefore ?? Infinity);
  const due = unattested.filter((e) => !(Date.parse(e.time) >= before));
  const recent = unattested.length - due.length;
  if (recent > 0) notes.push(`${recent} recent event(s) after the last checkpoint still await theirs (within the checkpoint interval)`);
  if (due.length === 0) return;
  const first = due[0]!;
  const last = due[due.length - 1]!;
  const span = first.seq === last.seq ? `seq ${first.seq}` : `seq ${first.seq}..${last.seq}`;
  const why = checkpoints === 0 ? 'the log has no valid checkpoint' : 'they come after the last valid checkpoint';
  const message = `${due.length} event(s) (${span}) are not covered by any valid checkpoint: ${why}`;
  if (ev.allowUnattested === true) notes.push(`ALLOWED by --allow-unattested: ${message}`);
  else findings.push({ kind: 'unattested', where: first.where, seq: first.seq, message });
}

/**
 * Each witness must have cosigned a matching checkpoint that covers every event a local checkpoint covers, and
 * every event old enough to need one. No grace for checkpoints: whoever holds the gateway's key can sign a fresh
 * one, and only the witness's cosignature says the history it covers was not rewritten.
 */
export function checkWitnesses(ev: LogEvidence, entries: ChainEntry[], verified: Verified[], findings: Finding[]): { witness: string; size: number }[] {
  if (ev.witnesses === undefined || ev.witnesses.length === 0) return [];
  const before = ev.attestBefore ?? Infinity;
  const due = entries.filter((e) => !(Date.parse(e.time) >= before));
  const lastSeq = maxOf(entries, (e) => e.seq, -1);
  const required = Math.min(lastSeq + 1, Math.max(maxOf(due, (e) => e.seq + 1, 0), maxOf(verified, (v) => v.cp.size, 0)));
  return ev.witnesses.map((w) => {
    const size = maxOf(verified.filter((v) => v.matched && v.cosigners.includes(w.name)), (v) => v.cp.size, 0);
    if (size < required) {
      const seen = size === 0 ? 'it cosigned no matching checkpoint here' : `its cosignatures cover only the first ${size} events`;
      findings.push({
        kind: 'unwitnessed',
        where: `witness ${w.name}`,
        seq: size,
        message: `no checkpoint cosigned by witness ${w.name} covers seq ${required - 1} (${seq(size, required)}; ${seen}): the witness never saw these events, so the log may have been rewritten on the gateway's host`,
      });
    }
    return { witness: w.name, size };
  });
}

function seq(from: number, to: number): string {
  return to - from === 1 ? `seq ${from} unwitnessed` : `seq ${from}..${to - 1} unwitnessed`;
}

/** The largest `of(item)`, or `init`: a loop, since spreading a whole log's worth of numbers into Math.max overflows the stack. */
export function maxOf<T>(items: readonly T[], of: (item: T) => number, init: number): number {
  let max = init;
  for (const item of items) max = Math.max(max, of(item));
  return max;
}
