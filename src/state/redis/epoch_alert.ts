/**
 * What the gateway does when the Redis store lost its data (see epoch.ts): say so loudly, then repair what config
 * can repair. On the loss: an `alert` audit event (reason `state_lost`) naming the mounts whose dynamic
 * credentials were tracked only by the lost leases and revocation queue, a metric, an error log line. Before the
 * store adopts a new epoch: the config-defined executors are re-seeded, and the dynamic mounts are reconciled
 * where the backend can list what it issued (an adapter's optional `listIssued`); a second alert
 * (`state_reseeded`) says what was re-seeded and which mounts could not be reconciled.
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
  /** Credentials the backend says are outstanding (an adapter's optional `listIssued`). */
  listIssued?: ((signal: AbortSignal) => Promise<unknown[]>) | undefined;
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
    const reconciled: Record<string, JsonValue> = {};
    const unreconciled: string[] = [];
    for (const mount of options.mounts.filter((m) => m.dynamic)) {
      if (mount.listIssued === undefined) {
        unreconciled.push(mount.name);
        continue;
      }
      try {
        reconciled[mount.name] = (await mount.listIssued(AbortSignal.timeout(5000))).length;
      } catch {
        unreconciled.push(mount.name);
      }
    }
    const detail = { signal: 'state_reseeded', kind: loss.kind, lost_epoch: loss.lostEpoch, outstanding_by_mount: reconciled, unreconciled_mounts: unreconciled };
    // Durable before the store reopens: if the audit trail cannot record it, the hook fails and the store stays closed.
    await options.audit.record({ action: 'alert', outcome: 'ok', reason: 'state_reseeded', actor: system(options.replica), detail });
    options.log('state store re-seeded; adopting a new epoch', detail);
    options.metrics?.recovered();
  });
  return true;
}
