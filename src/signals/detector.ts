/**
 * The anomaly detector. It watches the audit trail from the outside: once an event is durable, a copy (without
 * its sensitive fields) is queued, and the request goes on without waiting. A single loop runs the rules over
 * the queue; a slow or failing rule, state store or webhook delays or skips signals but never a request. Alerts
 * are written to the trail beneath the watcher, so they are never detected again.
 */
import { Counter, type Registry } from 'prom-client';
import type { AuditEventInput, AuditReceipt, AuditTrail } from '../audit/contract.ts';
import type { StateStore } from '../state/contract.ts';
import { raiseAlert, type AlertOutlets } from './alert.ts';
import { callsForDisable, disableExecutor } from './auto_disable.ts';
import type { SignalsConfig } from './config.ts';
import type { Rule } from './rule.ts';
import { denialBurst, rateSpike, renewalCap, replay, revocationFailures } from './rules_counting.ts';
import { newCref, newNetwork } from './rules_novelty.ts';
import { AlertWebhook } from './webhook.ts';

const RULES: Rule[] = [denialBurst, replay, newCref, newNetwork, rateSpike, renewalCap, revocationFailures];

export interface DetectorDeps {
  state: StateStore;
  /** The trail alerts and automatic disables are recorded on (not the watched one). */
  audit: AuditTrail;
  now: () => number;
  replica: string;
  /** The gateway's metrics registry. */
  registry: Registry;
  notice: (message: string) => void;
}

export class SignalDetector {
  private readonly config: SignalsConfig;
  private readonly deps: DetectorDeps;
  private readonly queue: AuditEventInput[] = [];
  private readonly outlets: AlertOutlets;
  private readonly webhook: AlertWebhook | undefined;
  private readonly skipped: Counter;
  private readonly failed: Counter;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(config: SignalsConfig, deps: DetectorDeps) {
    this.config = config;
    this.deps = deps;
    const alerts = new Counter({ name: 'crefgate_security_alerts_total', help: 'Security alerts raised on this replica, by signal', labelNames: ['signal'] as const, registers: [deps.registry] });
    this.skipped = new Counter({ name: 'crefgate_signal_events_skipped_total', help: 'Audit events the detector skipped because its queue was full', registers: [deps.registry] });
    this.failed = new Counter({ name: 'crefgate_signal_errors_total', help: 'Audit events the detector could not evaluate (state store or audit failure)', registers: [deps.registry] });
    this.webhook = config.webhook === undefined ? undefined : new AlertWebhook(config.webhook, deps.notice);
    this.outlets = { count: (signal) => alerts.inc({ signal }), webhook: this.webhook === undefined ? undefined : (a) => this.webhook!.send(a) };
  }

  /** The same trail; every event it makes durable is also offered to the detector. */
  watch<T extends AuditTrail>(trail: T): T {
    const record = async (event: AuditEventInput): Promise<AuditReceipt> => {
      const receipt = await trail.record(event);
      this.offer(event);
      return receipt;
    };
    return new Proxy(trail, {
      get(target, key, receiver) {
        if (key === 'record') return record;
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  /** Queues an event for the rules; never throws, never waits. */
  offer(event: AuditEventInput): void {
    if (this.closed || event.action === 'alert') return;
    if (this.queue.length >= this.config.queue_limit) {
      this.skipped.inc();
      return;
    }
    // Clear nonces and tokens must not linger in a queue: the rules never need them.
    const { sensitive: _sensitive, ...copy } = event;
    this.queue.push(copy);
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once every queued event has been evaluated (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** Evaluates what is queued (bounded by `deadlineMs`), then stops; the webhook gets a moment to finish. */
  async close(deadlineMs = 2000): Promise<void> {
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, deadlineMs).unref())]);
    this.closed = true;
    this.queue.length = 0;
    await this.webhook?.close(deadlineMs);
  }

  private async drain(): Promise<void> {
    for (let event = this.queue.shift(); event !== undefined; event = this.queue.shift()) {
      try {
        await this.evaluate(event);
      } catch (err) {
        this.failed.inc();
        this.deps.notice(`signals: an audit event could not be evaluated: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private async evaluate(event: AuditEventInput): Promise<void> {
    const now = this.deps.now();
    const ctx = { config: this.config, counters: this.deps.state.counters, sets: this.deps.state.sets, now };
    for (const rule of RULES) {
      // One failing rule (a state store hiccup) must not silence the others.
      const alerts = await rule(event, ctx).catch((err: unknown) => {
        this.failed.inc();
        this.deps.notice(`signals: a rule failed: ${err instanceof Error ? err.message : String(err)}`);
        return [];
      });
      for (const alert of alerts) {
        await raiseAlert(this.deps.audit, this.outlets, this.deps.replica, now, alert);
        if (callsForDisable(alert, this.config.auto_disable)) {
          await disableExecutor(alert, { executors: this.deps.state.executors, audit: this.deps.audit, replica: this.deps.replica, now });
        }
      }
    }
  }
}
