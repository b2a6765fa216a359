/**
 * Lease → job locators remembered by one process, shared by the lease store and the resolve's commit (both write
 * locators). A lease's job never changes, so a remembered locator is never stale: a renew or a proxied request by
 * lease id then costs one round trip, not two. Bounded; a forgotten lease is simply located again.
 */
import type { RedisKeys } from './keys.ts';

/**
 * Lease → job locators remembered by one process. A renew or proxied request concerns a lease of a running job,
 * i.e. a recent one; 10,000 entries (~2 MB) cover that, where 50,000 (~10 MB) made the heap after GC grow by
 * 7 MB over the bench's 20 s soak (docs/performance.md). Older leases are located with one GET.
 */
const MAX_LOCATED = 10_000;

export interface Locators {
  get(leaseId: string): string | undefined;
  remember(leaseId: string, jobId: string): void;
}

/**
 * A flat copy of `id`. A job id parsed from a request body is a V8 sliced string that keeps the whole body alive
 * (the strict parser slices plain strings out of it): remembered as is, 10,000 locators held 10,000 envelope
 * bodies (~12 MB, seen in a heap snapshot after a 5-minute soak). Ids follow the id rule (ASCII), so the UTF-8 round trip is exact.
 */
function ownCopy(id: string): string {
  return Buffer.from(id, 'utf8').toString('utf8');
}

// Keyed by the store's RedisKeys instance: every sub-store of one store shares it, two stores never do.
const perStore = new WeakMap<RedisKeys, Locators>();

/** The locator memory of the store that owns `keys`. */
export function locatorsOf(keys: RedisKeys): Locators {
  let locators = perStore.get(keys);
  if (locators === undefined) {
    const located = new Map<string, string>();
    locators = {
      get: (leaseId) => located.get(leaseId),
      remember(leaseId, jobId) {
        if (located.size >= MAX_LOCATED) located.delete(located.keys().next().value!);
        located.set(ownCopy(leaseId), ownCopy(jobId));
      },
    };
    perStore.set(keys, locators);
  }
  return locators;
}
