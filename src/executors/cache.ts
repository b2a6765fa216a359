/**
 * Executor records kept in the process for step 3 (issue 21.2). A cached record is only trusted because the nonce
 * reservation (step 8, one atomic step) also returns the record's current version: if a rotation, disable or
 * re-enable changed it since the cache was filled, the chain re-reads it and re-runs steps 3–4 before anything
 * else happens, so a change the store applied before the reservation is never missed. A store that cannot read
 * the version in that step (Redis Cluster) gets no cache: every request reads the registry, as before.
 */
import type { ExecutorRecord, StateStore } from '../state/contract.ts';
import { copyExecutor } from '../state/records.ts';

/** Executors kept per store (oldest dropped first); the registry of a deployment is small. */
const MAX_ENTRIES = 10_000;

const caches = new WeakMap<StateStore, Map<string, ExecutorRecord>>();

function cacheOf(store: StateStore): Map<string, ExecutorRecord> | undefined {
  if (!store.nonces.readsExecutorVersion) return undefined;
  let cache = caches.get(store);
  if (cache === undefined) {
    cache = new Map();
    caches.set(store, cache);
  }
  return cache;
}

/** The store's record now, remembered for the next requests (where the store validates versions). */
export async function readExecutor(store: StateStore, id: string): Promise<ExecutorRecord | undefined> {
  const record = await store.executors.get(id);
  const cache = cacheOf(store);
  if (cache !== undefined) {
    cache.delete(id);
    if (record !== undefined) {
      if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
      cache.set(id, copyExecutor(record));
    }
  }
  return record;
}

/** A cached record (a copy), or the store's; `fresh` says which, so step 8 knows whether to validate it. */
export async function cachedExecutor(store: StateStore, id: string): Promise<{ record: ExecutorRecord | undefined; fresh: boolean }> {
  const hit = cacheOf(store)?.get(id);
  if (hit !== undefined) return { record: copyExecutor(hit), fresh: false };
  return { record: await readExecutor(store, id), fresh: true };
}
