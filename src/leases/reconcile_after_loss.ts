/**
 * After the state store lost its data (src/state/redis/epoch.ts), every dynamic credential issued before the loss
 * has lost its lease record and any queued revocation: nothing would revoke it but the periodic orphan sweep,
 * minutes later, and only on mounts that can list. So the recovery runs one pass at once, per dynamic mount:
 *
 * - a mount whose adapter can list what it issued (`listIssued`: the database adapters) is swept with the orphan
 *   sweeper's own rules (orphan_sweeper.ts, cause `state_lost`), without the grace for a credential created before
 *   the loss whose job is now unknown (see `SweepOptions.lostAt`): revoked at the backend and audited;
 * - a mount that cannot list is reported with what bounds its credentials instead (their own TTL).
 *
 * Nothing here throws: a mount whose listing fails is reported as such, and the periodic sweep retries it.
 */
import type { JsonValue } from '../../adapters/contract.ts';
import type { GatewayServices } from '../services.ts';
import type { StateStore } from '../state/contract.ts';
import { ORPHAN_GRACE_MS, sweepMount } from './orphan_sweeper.ts';

/** A dynamic mount as the pass needs it: its name and its adapter kind (for what bounds an unlisted credential). */
export interface DynamicMount {
  name: string;
  kind: string;
}

/** What bounds the credentials of a kind that cannot be listed (what an operator can rely on, and act on). */
const BOUNDS: Record<string, string> = {
  vault: 'Vault lease TTL: Vault revokes each lease at its end (vault lease revoke -prefix to end them now)',
  'aws-sts': 'STS session duration: the credentials expire on their own (at most the role session duration)',
  'github-app': 'GitHub installation tokens expire within one hour of issue',
};

/** One mount's outcome, as written into the `state_reseeded` alert. */
export type MountReconciliation =
  | { status: 'reconciled'; listed: number; revoked: number; failed: number; deferred: number }
  | { status: 'not_listable'; bounded_by: string }
  | { status: 'list_failed'; error: string };

export interface ReconcileOptions {
  /** When the loss was noticed: credentials created up to then belong to the lost epoch. */
  lostAt: number;
  /**
   * The store to read jobs and leases from: during recovery the gated store refuses every call, so the caller hands
   * the ungated one (nothing else writes to it until the new epoch is adopted).
   */
  state: StateStore;
  graceMs?: number;
  /** Bounds one mount's listing, so a backend that is down cannot keep the store closed for long. */
  listTimeoutMs?: number;
}

/** Reconciles every dynamic mount against its backend after a loss; never throws. */
export async function reconcileAfterLoss(
  services: GatewayServices, mounts: DynamicMount[], options: ReconcileOptions,
): Promise<Record<string, MountReconciliation>> {
  const view: GatewayServices = { ...services, state: options.state };
  const sweep = { graceMs: options.graceMs ?? ORPHAN_GRACE_MS, cause: 'state_lost' as const, lostAt: options.lostAt };
  const entries = await Promise.all(mounts.map(async (mount): Promise<[string, MountReconciliation]> => {
    try {
      const done = await sweepMount(view, mount.name, sweep, undefined, options.listTimeoutMs ?? 5000);
      if (done !== undefined) return [mount.name, { status: 'reconciled', ...done }];
      return [mount.name, { status: 'not_listable', bounded_by: BOUNDS[mount.kind] ?? `the ${mount.kind} backend's own credential lifetime` }];
    } catch (err) {
      // An AdapterError's reason names the action and the cause, never a secret (its message is the public one).
      const reason = err instanceof Error && 'reason' in err ? String((err as { reason: unknown }).reason) : 'listing failed';
      return [mount.name, { status: 'list_failed', error: reason }];
    }
  }));
  return Object.fromEntries(entries);
}

/** The alert's view: per mount, plus the names that were not reconciled (could not be listed, or listing failed). */
export function reconciliationDetail(result: Record<string, MountReconciliation>): { reconciliation: JsonValue; unreconciled_mounts: string[] } {
  const unreconciled = Object.entries(result).filter(([, r]) => r.status !== 'reconciled').map(([name]) => name);
  return { reconciliation: result as unknown as JsonValue, unreconciled_mounts: unreconciled };
}
