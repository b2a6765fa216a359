/**
 * The anomaly detector. It observes the audit trail through the typed hook (src/audit/trail/observer.ts): once
 * an event is durable, the trail hands it over without its sensitive fields, it is queued, and the request goes
 * on without waiting. A single loop runs the rules over the queue; a slow or failing rule or state store delays
 * or skips signals but never a request. What the detector records itself (its alerts, its automatic disables)
 * is on the same trail and is not evaluated again, so it never feeds back into itself.
 */
import { Counter, type Registry } from 'prom-client';
import type { AuditEventInput, AuditTrail } from '../audit/contract.ts';
import type { AuditObserverPart } from '../audit/trail/observer.ts';
import type { StateStore } from '../state/contract.ts';
import { raiseAlert } from './alert.ts';
import { callsForDisable, disableExecutor } from './auto_disable.ts';
import type { SignalsConfig } from './config.ts';
import type { Rule } from './rule.ts';
import { denialBurst, rateSpike, renewalCap, replay, revocationFailures } from './rules_counting.ts';
import { newCref, newNetwork } from './rules_novelty.ts';

const RULES: Rule[] = [denialBurst, replay, newCref, newNetwork, rateSpike, renewalCap, revocationFailures];

export interface DetectorDeps {
  state: StateStore;
  /** The trail alerts and automatic disables are recorded on (the observed one). */
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
  private readonly queue: Array<Omit<AuditEventInput, 'sensitive'>> = [];
  private readonly skipped: Counter;
  private readonly failed: Counter;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(config: SignalsConfig, deps: DetectorDeps) {
    this.config = config;
    this.deps = deps;
    this.skipped = new Counter({ name: 'crefgate_signal_events_skipped_total', help: 'Audit events the detector skipped because its queue was full', registers: [deps.registry] });
    this.failed = new Counter({ name: 'crefgate_signal_errors_total', help: 'Audit events the detector could not evaluate (state store or audit failure)', registers: [deps.registry] });
  }

  /** The observer to register on the trail (`trail.observe`): durable events only; a refused one never happened. */
  observer(): AuditObserverPart {
    return { onRecord: (outcome) => void (outcome.ok && this.offer(outcome.event)) };
  }

  /** Queues an event for the rules; never throws, never waits. */
  offer(event: Omit<AuditEventInput, 'sensitive'> & { sensitive?: unknown }): void {
    if (this.closed || ownRecord(event)) return;
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

  /** Evaluates what is queued (bounded by `deadlineMs`), then stops. */
  async close(deadlineMs = 2000): Promise<void> {
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, deadlineMs).unref())]);
    this.closed = true;
    this.queue.length = 0;
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

  private async evaluate(event: Omit<AuditEventInput, 'sensitive'>): Promise<void> {
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
        await raiseAlert(this.deps.audit, this.deps.replica, alert);
        if (callsForDisable(alert, this.config.auto_disable)) {
          await disableExecutor(alert, { executors: this.deps.state.executors, audit: this.deps.audit, replica: this.deps.replica, now });
        }
      }
    }
  }
}

/** An alert (anyone's) or the system's automatic disable: what the detector raises is not evidence of itself. */
function ownRecord(event: Omit<AuditEventInput, 'sensitive'>): boolean {
  return event.action === 'alert' || (event.action === 'executor.disable' && event.actor.type === 'system');
}
