/** In-memory one-time join tokens, keyed by their hash; an expired token is dropped when next touched. */
import type { JoinTokenRecord, JoinTokenStore } from '../contract.ts';

/** Creates the memory join-token store. */
export function createMemoryJoinTokens(now: () => number): JoinTokenStore {
  const tokens = new Map<string, JoinTokenRecord>();
  const sweep = () => {
    const at = now();
    for (const [hash, record] of tokens) if (record.expiresAt <= at) tokens.delete(hash);
  };
  return {
    async put(record) {
      sweep();
      if (tokens.has(record.tokenHash)) return false;
      tokens.set(record.tokenHash, { ...record });
      return true;
    },
    async consume(tokenHash, at) {
      const record = tokens.get(tokenHash);
      tokens.delete(tokenHash);
      return record === undefined || record.expiresAt <= at ? undefined : record;
    },
  };
}
