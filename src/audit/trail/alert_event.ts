/**
 * The one shape of an `alert` audit event: the signal detector (src/signals/alert.ts) and the witness client
 * (./witness_client.ts) build it here, in the audit room, so the audit room never imports signals. What the
 * gateway does with an alert besides recording it (the Prometheus counter, the webhook) is an observer of the
 * durable alert events (src/signals/alert_outlets.ts) reading them back with `alertOf`, so no raiser can skip it;
 * the store-loss watch (src/state/redis/epoch_alert.ts) writes `detail.signal` itself and is read alike.
 */
import type { JsonValue } from '../../json/value.ts';
import type { AuditEventInput } from '../contract.ts';

/** What an alert is about. */
export interface AlertSubject {
  kind: 'executor' | 'tenant' | 'source' | 'mount' | 'witness' | 'store';
  id: string;
}

/** An alert as raised; `S` narrows the signal name (src/signals/alert.ts: `SignalName`). */
export interface AlertFacts<S extends string = string> {
  signal: S;
  subject: AlertSubject;
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

/** The audit event of an alert, recorded by the system as `replica`. */
export function alertEvent(replica: string, alert: AlertFacts): AuditEventInput {
  return {
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
    detail: { ...alert.facts, signal: alert.signal, subject_kind: alert.subject.kind, subject: alert.subject.id },
  };
}

/** An alert read back from its event: who raised it, and `subject` absent for a raiser without one (state loss). */
export type RaisedAlert = Omit<AlertFacts, 'subject'> & { subject?: AlertSubject | undefined; replica: string };

/** The alert an `alert` event carries (the reverse of `alertEvent`). */
export function alertOf(event: Omit<AuditEventInput, 'sensitive'>): RaisedAlert | undefined {
  if (event.action !== 'alert') return undefined;
  const { signal, subject_kind, subject, ...facts } = event.detail ?? {};
  const name = typeof signal === 'string' ? signal : event.reason;
  if (name === undefined) return undefined;
  const kinds: ReadonlyArray<AlertSubject['kind']> = ['executor', 'tenant', 'source', 'mount', 'witness', 'store'];
  const kind = kinds.find((k) => k === subject_kind);
  return {
    signal: name,
    subject: kind !== undefined && typeof subject === 'string' ? { kind, id: subject } : undefined,
    tenant: event.tenant,
    executor: event.executor,
    job_id: event.job_id,
    crefs: event.crefs,
    source: event.source,
    request_id: event.request_id,
    facts,
    replica: event.actor.id,
  };
}
