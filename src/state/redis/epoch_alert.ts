/**
 * What the gateway does when the Redis store lost its data (see epoch.ts): say so loudly, then repair what config
 * can repair. On the loss: an `alert` audit event (reason `state_lost`) naming the mounts whose dynamic
 * credentials were tracked only by the lost leases and revocation queue, a metric, an error log line. Before the
 * store adopts a new epoch: the config-defined executors are re-seeded, and the dynamic mounts are reconciled
 * (the injected `reconcile`, src/leases/reconcile_after_loss.ts: what the backend lists and no lease owns is
 * revoked); a second alert (`state_reseeded`) says per mount what was revoked, or what bounds the credentials of
 * a mount that cannot be listed. Without `reconcile`, every dynamic mount is reported as not reconciled.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { JsonValue } from '../../json/value.ts';
import type { AuditTrail } from '../../audit/contract.ts';
import type { StateStore } from '../contract.ts';
import type { EpochLoss } from './epoch.ts';
import { storeHa } from './index.ts';

/** A mount as the loss report needs it: does it issue dynamic credentials, and can it list them? */
export interface MountView {
  name: string;
  dynamic: boolean;
}

/** The per-mount reconciliation as the alert carries it, plus the mounts that were not reconciled. */
export interface ReconcileReport {
  reconciliation: JsonValue;
  unreconciled_mounts: string[];
}

/** Something that counts (a prom-client Counter/Gauge or a test double). */
export interface LossMetrics {
  lost(kind: EpochLoss['kind']): void;
  recovered(): void;
}

/** `crefgate_state_epoch_losses_total{kind}` and `crefgate_state_lost` (1 while failing closed after a loss). */
export function lossMetrics(registry: Registry): LossMetrics {
  const losses = new Counter({ name: 'crefgate_state_epoch_losses_total', help: 'Times this replica found the state store wiped or rolled back', labelNames: ['kind'], registers: [registry] });
  const lost = new Gauge({ name: 'crefgate_state_lost', help: '1 while the state store is closed after a data loss, until re-seeded', registers: [registry] });
  lost.set(0);
  return {
    lost: (kind) => {
      losses.inc({ kind });
      lost.set(1);
    },
    recovered: () => lost.set(0),
  };
}

export interface StoreLossOptions {
  audit: AuditTrail;
  replica: string;
  mounts: MountView[];
  metrics?: LossMetrics | undefined;
  /** Re-seeds config executors into the (ungated) store. */
  reseed: (store: StateStore) => Promise<void>;
  /** Revokes what the backends list and no lease owns, reading the (ungated) `store`; must not throw. */
  reconcile?: ((store: StateStore, loss: EpochLoss) => Promise<ReconcileReport>) | undefined;
  log: (message: string, facts: Record<string, JsonValue>) => void;
}

const system = (replica: string) => ({ type: 'system' as const, id: replica, auth: 'system' as const });

/** Wires the loss report and the re-seed into a Redis store; does nothing for any other store. */
export function watchStoreLoss(state: StateStore, options: StoreLossOptions): boolean {
  const ha = storeHa(state);
  if (ha === undefined) return false;
  const dynamic = options.mounts.filter((m) => m.dynamic).map((m) => m.name);
  ha.epoch.onLoss((loss) => {
    options.metrics?.lost(loss.kind);
    const facts = {
      kind: loss.kind,
      lost_epoch: loss.lostEpoch,
      found_epoch: loss.found,
      // Their leases and queued revocations lived in the lost store: nothing will revoke them on its own.
      mounts_with_dynamic_credentials: dynamic,
    };
    options.log('state store lost its data: failing closed until re-seeded', facts);
    void options.audit
      .record({ action: 'alert', outcome: 'ok', reason: 'state_lost', actor: system(options.replica), detail: { signal: 'state_lost', ...facts } })
      .catch((err: unknown) => options.log('could not record the state_lost alert', { error: err instanceof Error ? err.message : String(err) }));
  });
  ha.epoch.onRecovery(async (loss) => {
    await options.reseed(ha.ungated);
    // Before the new epoch is adopted: no lease can be recorded meanwhile, so the pass sees a still picture.
    const report: ReconcileReport = options.reconcile !== undefined ? await options.reconcile(ha.ungated, loss) : { reconciliation: {}, unreconciled_mounts: dynamic };
    const detail = { signal: 'state_reseeded', kind: loss.kind, lost_epoch: loss.lostEpoch, lost_at: loss.at, ...report };
    // Durable before the store reopens: if the audit trail cannot record it, the hook fails and the store stays closed.
    await options.audit.record({ action: 'alert', outcome: 'ok', reason: 'state_reseeded', actor: system(options.replica), detail });
    options.log('state store re-seeded; adopting a new epoch', detail);
    options.metrics?.recovered();
  });
  return true;
}
