/**
 * Per-shard epoch keys on Cluster. The epoch itself lives in one slot (`{epoch}`), so on its own it notices the
 * loss of one shard only; a replica promoted empty on any other master would go unseen. So at start-up one
 * more key is placed on every master: for each, the first tag `{epoch-<i>}` whose slot that master serves
 * (asked with CLUSTER KEYSLOT, so no CRC16 here). Every replica computes the same keys from the same slot map.
 * A key that moves with its slot (resharding) stays valid; a master added later has no key until a restart.
 */
import type { Cluster } from 'ioredis';

/** Tags tried per master before giving up on it (each master serves at least one slot in 16384). */
const MAX_TAGS = 512;

type SlotRange = [number, number, [string, number, string?], ...unknown[]];

/** One epoch key per master of `cluster`, in the order of CLUSTER SLOTS. */
export async function shardEpochKeys(cluster: Cluster, prefix: string): Promise<string[]> {
  const ranges = (await cluster.call('CLUSTER', 'SLOTS')) as SlotRange[];
  const byMaster = new Map<string, Array<[number, number]>>();
  for (const [from, to, [host, port, id]] of ranges) {
    const master = id ?? `${host}:${port}`;
    byMaster.set(master, [...(byMaster.get(master) ?? []), [from, to]]);
  }
  const keys: string[] = [];
  for (const owned of byMaster.values()) {
    for (let i = 0; i < MAX_TAGS; i++) {
      const key = `${prefix}{epoch-${i}}:id`;
      const slot = Number(await cluster.call('CLUSTER', 'KEYSLOT', key));
      if (owned.some(([from, to]) => slot >= from && slot <= to)) {
        keys.push(key);
        break;
      }
    }
  }
  return keys;
}
