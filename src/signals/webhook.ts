/**
 * Alert webhook: alerts are queued and POSTed as JSON in the background with a bounded number of attempts. A
 * slow or dead receiver never blocks a request or the detector; past the queue limit alerts are dropped (each
 * one is in the audit log already, the webhook is only a faster way to hear of it).
 */
import type { RaisedAlert } from '../audit/trail/alert_event.ts';

export interface WebhookConfig {
  url: string;
  timeout_ms: number;
  attempts: number;
  queue_limit: number;
}

/** An alert as the receiver gets it: the event's alert, its replica and when it was sent on. */
type Delivery = RaisedAlert & { at: number };

export class AlertWebhook {
  private readonly config: WebhookConfig;
  private readonly notice: (message: string) => void;
  private readonly queue: Delivery[] = [];
  private pumping: Promise<void> | undefined;
  private closed = false;
  /** Alerts given up on (queue full or every attempt failed), for tests and metrics. */
  dropped = 0;
  delivered = 0;

  constructor(config: WebhookConfig, notice: (message: string) => void) {
    this.config = config;
    this.notice = notice;
  }

  /** Queues an alert; returns at once. */
  send(alert: Delivery): void {
    if (this.closed || this.queue.length >= this.config.queue_limit) {
      this.dropped++;
      return;
    }
    this.queue.push(alert);
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  /** Gives queued alerts until `deadlineMs` to go out, then stops. */
  async close(deadlineMs = 2000): Promise<void> {
    this.closed = true;
    if (this.pumping !== undefined) await Promise.race([this.pumping, new Promise((r) => setTimeout(r, deadlineMs).unref())]);
    this.dropped += this.queue.splice(0).length;
  }

  private async pump(): Promise<void> {
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
      if (await this.deliver(next)) this.delivered++;
      else this.dropped++;
    }
  }

  private async deliver(alert: Delivery): Promise<boolean> {
    const body = JSON.stringify({ type: 'crefgate.alert', ...alert });
    for (let attempt = 0; attempt < this.config.attempts; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** attempt)).unref());
      try {
        const res = await fetch(this.config.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.config.timeout_ms),
        });
        await res.body?.cancel();
        if (res.ok) return true;
        // A client error will not get better by retrying.
        if (res.status >= 400 && res.status < 500 && res.status !== 429) break;
      } catch {
        // Unreachable or timed out: retried while attempts remain.
      }
    }
    this.notice(`alert webhook: gave up on a ${alert.signal} alert after ${this.config.attempts} attempt(s)`);
    return false;
  }
}
