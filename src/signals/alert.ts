/**
 * What a signal raises, and how: an `alert` audit event (so the alert is itself in the tamper-evident chain), in
 * the one shape every raiser uses (src/audit/trail/alert_event.ts). The Prometheus counter and the webhook are not done
 * here but by the alert outlets (./alert_outlets.ts), an observer of every durable alert event on the trail, so
 * the witness client and the store-loss watch, which cannot import this folder, are counted and sent alike.
 */
import { alertEvent, type AlertFacts } from '../audit/trail/alert_event.ts';
import type { AuditTrail } from '../audit/contract.ts';
import type { WitnessSignal } from '../audit/trail/witness_client.ts';

/** The detector's rules (./rules_*.ts). */
export type DetectorSignal = 'denial_burst' | 'replay' | 'new_cref' | 'new_network' | 'rate_spike' | 'renewal_cap' | 'revocation_failures';

/** The Redis store lost its data, then was re-seeded (src/state/redis/epoch_alert.ts). */
export type StoreLossSignal = 'state_lost' | 'state_reseeded';

/** Every alert the gateway raises: the `signal` label of `crefgate_security_alerts_total` (docs/signals.md). */
export type SignalName = DetectorSignal | WitnessSignal | StoreLossSignal;

export const SIGNAL_NAMES: readonly SignalName[] = [
  'denial_burst', 'replay', 'new_cref', 'new_network', 'rate_spike', 'renewal_cap', 'revocation_failures',
  'witness_unreachable', 'witness_refused', 'state_lost', 'state_reseeded',
];

/** An alert of a known signal. */
export type Alert = AlertFacts<SignalName>;

/** Records `alert` as an audit event; resolves once it is durable (the outlets then count and send it). */
export async function raiseAlert(audit: AuditTrail, replica: string, alert: Alert): Promise<void> {
  await audit.record(alertEvent(replica, alert));
}
