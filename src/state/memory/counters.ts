/**
 * In-memory counters and member sets for one process. Entries carry their own expiry and are dropped when a
 * sweep finds them stale, so a long-running gateway does not accumulate windows it will never read again.
 */
import type { CounterStore, MemberSetStore } from '../contract.ts';

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

/** Drops stale entries at most once per `everyMs` (sweeping on every call would be quadratic under load). */
function sweeper<T>(map: Map<string, Expiring<T>>, now: () => number, everyMs = 1000): () => void {
  let last = 0;
  return () => {
    const at = now();
    if (at - last < everyMs) return;
    last = at;
    for (const [key, entry] of map) if (entry.expiresAt <= at) map.delete(key);
  };
}

/** Creates the memory counter store. */
export function createMemoryCounters(now: () => number): CounterStore {
  const windows = new Map<string, Expiring<number>>();
  const sweep = sweeper(windows, now);
  const live = (key: string): number => {
    const entry = windows.get(key);
    return entry === undefined || entry.expiresAt <= now() ? 0 : entry.value;
  };
  return {
    async increment(key, windowMs, at, options = {}) {
      sweep();
      const index = Math.floor(at / windowMs);
      const name = `${key}\u0000${index}`;
      const count = live(name) + (options.by ?? 1);
      const resetAt = (index + 1) * windowMs;
      windows.set(name, { value: count, expiresAt: resetAt + windowMs * ((options.retainWindows ?? 1) - 1) });
      return { count, resetAt };
    },
    async history(key, windowMs, at, count) {
      const index = Math.floor(at / windowMs);
      return Array.from({ length: count }, (_, i) => live(`${key}\u0000${index - count + i}`));
    },
  };
}

/** Creates the memory member-set store. */
export function createMemorySets(now: () => number): MemberSetStore {
  const sets = new Map<string, Expiring<Set<string>>>();
  const sweep = sweeper(sets, now);
  return {
    async add(key, members, ttlMs) {
      sweep();
      const entry = sets.get(key);
      const set = entry === undefined || entry.expiresAt <= now() ? new Set<string>() : entry.value;
      const sizeBefore = set.size;
      const added = [...new Set(members)].filter((m) => !set.has(m));
      for (const m of added) set.add(m);
      sets.set(key, { value: set, expiresAt: now() + ttlMs });
      return { added, sizeBefore };
    },
  };
}
