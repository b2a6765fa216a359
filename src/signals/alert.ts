/**
 * What a signal raises, and how: an `alert` audit event (so the alert is itself in the tamper-evident chain), a
 * Prometheus counter, and optionally a webhook. Alerts are recorded on the trail *beneath* the detector's
 * watcher, so an alert can never be observed again and feed back into itself.
 */
import type { JsonValue } from '../json/value.ts';
import type { AuditTrail } from '../audit/contract.ts';

export type SignalName = 'denial_burst' | 'replay' | 'new_cref' | 'new_network' | 'rate_spike' | 'renewal_cap' | 'revocation_failures';

export interface Alert {
  signal: SignalName;
  /** What the signal is about: one executor, tenant, source address or mount. */
  subject: { kind: 'executor' | 'tenant' | 'source' | 'mount'; id: string };
  tenant?: string | undefined;
  executor?: string | undefined;
  job_id?: string | undefined;
  crefs?: string[] | undefined;
  source?: string | undefined;
  /** The request that tipped the signal, to find it in the timeline. */
  request_id?: string | undefined;
  /** Non-secret facts: counts, thresholds, the new network… */
  facts: Record<string, JsonValue>;
}

/** Where alerts go besides the audit trail. */
export interface AlertOutlets {
  count(signal: SignalName): void;
  webhook?: ((alert: Alert & { replica: string; at: number }) => void) | undefined;
}

/** Records `alert` as an audit event, counts it and hands it to the webhook; resolves once it is durable. */
export async function raiseAlert(audit: AuditTrail, outlets: AlertOutlets, replica: string, now: number, alert: Alert): Promise<void> {
  await audit.record({
    action: 'alert',
    outcome: 'ok',
    reason: alert.signal,
    actor: { type: 'system', id: replica, auth: 'system' },
    tenant: alert.tenant,
    executor: alert.executor,
    job_id: alert.job_id,
    crefs: alert.crefs,
    source: alert.source,
    request_id: alert.request_id,
    detail: { signal: alert.signal, subject_kind: alert.subject.kind, subject: alert.subject.id, ...alert.facts },
  });
  outlets.count(alert.signal);
  outlets.webhook?.({ ...alert, replica, at: now });
}
