/**
 * In-memory revocation queue. Same semantics as the Redis stream: an entry stays until acked; a claim
 * older than `staleAfterMs` without ack or retry is presumed dead and handed to the next claimer.
 */
import type { ClaimedRevocation, RevocationQueue, RevocationTask } from '../contract.ts';

interface Entry {
  task: RevocationTask;
  attempts: number;
  /** Epoch ms from which an unclaimed entry may be delivered. */
  dueAt: number;
  claim?: { consumer: string; at: number } | undefined;
}

/** Creates the memory revocation queue; `now` drives retry delays and stale-claim detection. */
export function createMemoryRevocations(now: () => number): RevocationQueue & { enqueueNow(task: RevocationTask): void } {
  const entries = new Map<string, Entry>();
  let sequence = 0;
  // Synchronous, so the lease store can end a lease and record its revocation in one step.
  const enqueueNow = (task: RevocationTask): void => {
    sequence += 1;
    entries.set(`m-${sequence}`, { task: structuredClone(task), attempts: 0, dueAt: now() });
  };

  return {
    enqueueNow,
    async enqueue(task) {
      enqueueNow(task);
    },
    async claim(consumer, max, staleAfterMs) {
      const t = now();
      const claimed: ClaimedRevocation[] = [];
      // Map iteration is insertion order, so older tasks are served first.
      for (const [id, entry] of entries) {
        if (claimed.length >= max) break;
        const free = entry.claim === undefined && entry.dueAt <= t;
        const stale = entry.claim !== undefined && t - entry.claim.at >= staleAfterMs;
        if (!free && !stale) continue;
        // A stale claim counts as an attempt: the dead consumer may have reached the backend.
        if (stale) entry.attempts += 1;
        entry.claim = { consumer, at: t };
        claimed.push({ id, task: structuredClone(entry.task), attempts: entry.attempts });
      }
      return claimed;
    },
    async ack(id) {
      entries.delete(id);
    },
    async retry(id, delayMs) {
      const entry = entries.get(id);
      if (entry === undefined) return;
      entry.attempts += 1;
      entry.dueAt = now() + Math.max(0, delayMs);
      entry.claim = undefined;
    },
    async depth() {
      return entries.size;
    },
  };
}
