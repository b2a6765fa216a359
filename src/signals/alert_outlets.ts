/**
 * Where alerts go besides the audit trail: `crefgate_security_alerts_total{signal}` and, when configured, the
 * alert webhook. An observer of the trail (src/audit/trail/observer.ts) registered by the composition root: it
 * sees every `alert` event once it is durable, whoever recorded it (the detector, the witness client, the
 * store-loss watch), so no alert is recorded without being counted and sent. Built whether or not the detector
 * is enabled, since the other raisers alert regardless.
 */
import { Counter, type Registry } from 'prom-client';
import { alertOf } from '../audit/trail/alert_event.ts';
import type { AuditObserverPart } from '../audit/trail/observer.ts';
import { SIGNAL_NAMES, type SignalName } from './alert.ts';
import { AlertWebhook, type WebhookConfig } from './webhook.ts';

export interface AlertOutletDeps {
  /** The gateway's metrics registry. */
  registry: Registry;
  webhook?: WebhookConfig | undefined;
  now: () => number;
  notice: (message: string) => void;
}

export class AlertOutlets {
  private readonly counter: Counter<'signal'>;
  private readonly webhook: AlertWebhook | undefined;
  private readonly now: () => number;

  constructor(deps: AlertOutletDeps) {
    this.counter = new Counter({ name: 'crefgate_security_alerts_total', help: 'Security alerts raised on this replica, by signal', labelNames: ['signal'] as const, registers: [deps.registry] });
    this.webhook = deps.webhook === undefined ? undefined : new AlertWebhook(deps.webhook, deps.notice);
    this.now = deps.now;
  }

  /** The observer to register on the trail: durable alert events only (a refused one was never raised). */
  observer(): AuditObserverPart {
    return {
      onRecord: (outcome) => {
        if (!outcome.ok) return;
        const alert = alertOf(outcome.event);
        if (alert === undefined) return;
        // An unknown name still counts (under `other`): a raiser added without its name here is visible, not lost.
        this.counter.inc({ signal: SIGNAL_NAMES.includes(alert.signal as SignalName) ? alert.signal : 'other' });
        this.webhook?.send({ ...alert, at: this.now() });
      },
    };
  }

  /** Lets the webhook finish what is queued (bounded by `deadlineMs`). */
  async close(deadlineMs = 2000): Promise<void> {
    await this.webhook?.close(deadlineMs);
  }
}
