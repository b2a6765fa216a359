/** The fault both database adapters' revocation tests inject: the admin connections killed at one revoke step. */
import type { ResiliencePolicy } from '../../../adapters/resilience.ts';

/** Retries that outlast one broken admin connection, and a breaker that stays closed meanwhile. */
export const RETRY_THROUGH_ONE_FAULT: ResiliencePolicy = { timeoutMs: 10_000, retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 }, breaker: { failureThreshold: 10, cooldownMs: 1000 } };

/**
 * An `onRevokeStep` hook that runs `kill` the first time the revocation reaches `step`, and counts how often
 * `step` was reached (a retried revocation reaches it again) and how often it killed.
 */
export function killOnceAt(step: string, kill: () => Promise<void>): { onRevokeStep(name: string): Promise<void>; readonly reached: number; readonly kills: number } {
  let reached = 0;
  let kills = 0;
  return {
    async onRevokeStep(name) {
      if (name !== step) return;
      reached++;
      if (kills > 0) return;
      kills++;
      await kill();
    },
    get reached() {
      return reached;
    },
    get kills() {
      return kills;
    },
  };
}
