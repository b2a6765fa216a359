/**
 * Puts the store epoch in front of the sub-stores without touching their scripts: every method first checks that
 * no loss is being handled, and an answer that means "absent" (unknown executor, unknown job, no such lease or
 * token) is only returned once the epoch was verified — an empty store must answer 503, not 401/403.
 * Methods added to a sub-store later are gated too (the wrapper walks the object), so the gate cannot be skipped.
 */
import type { StoreEpoch } from './epoch.ts';

/** Methods whose `undefined` (or `false`) answer says "I do not know this". */
const ABSENT_WHEN_EMPTY = new Set(['get', 'complete', 'renew', 'revoke', 'rotate', 'setEnabled', 'consume']);

/** True if `result` of `method` is an answer a wiped store would also give. */
export function isAbsentAnswer(method: string, result: unknown): boolean {
  // `not_held` (a commit whose reservation vanished) is what a wipe between reserve and commit looks like.
  if (result === 'job_unknown' || result === 'not_held') return true;
  if (typeof result === 'object' && result !== null && (result as { outcome?: unknown }).outcome === 'job_unknown') return true;
  return ABSENT_WHEN_EMPTY.has(method) && (result === undefined || result === false);
}

/** Returns `store` with every method gated by `epoch` (the original object is left as it is, for recovery). */
export function gateByEpoch<T extends object>(name: string, store: T, epoch: StoreEpoch): T {
  const gated: Record<string, unknown> = {};
  for (const [method, value] of Object.entries(store)) {
    if (typeof value !== 'function') {
      gated[method] = value;
      continue;
    }
    const fn = value as (...args: unknown[]) => Promise<unknown>;
    const label = `${name}.${method}`;
    gated[method] = async (...args: unknown[]): Promise<unknown> => {
      epoch.assertServing(label);
      const result = await fn.apply(store, args);
      if (isAbsentAnswer(method, result)) await epoch.verify();
      return result;
    };
  }
  return gated as T;
}
