/** A detector over a memory state store and a capturing audit trail, with events crafted as the gateway writes them. */
import { Registry } from 'prom-client';
import type { AuditEventInput, AuditTrail } from '../../src/audit/contract.ts';
import { observableTrail } from '../../src/audit/trail/observer.ts';
import { configSchema } from '../../src/config/schema.ts';
import { AlertOutlets } from '../../src/signals/alert_outlets.ts';
import { SignalDetector } from '../../src/signals/detector.ts';
import type { SignalsConfig } from '../../src/signals/config.ts';
import type { StateStore } from '../../src/state/contract.ts';
import { createMemoryStateStore } from '../../src/state/memory/index.ts';

export interface SignalFixture {
  detector: SignalDetector;
  /** The capturing trail, with the alert outlets observing it as in the gateway. */
  audit: AuditTrail;
  state: StateStore;
  recorded: AuditEventInput[];
  registry: Registry;
  clock: { now(): number; advance(ms: number): void };
  /** Offers events and waits for the detector to finish them. */
  feed(...events: AuditEventInput[]): Promise<void>;
  alerts(signal?: string): AuditEventInput[];
}

/** Builds a fixture; `tune` edits the parsed `signals:` section (enabled already). */
export function signalFixture(tune: (c: SignalsConfig) => void = () => undefined): SignalFixture {
  const config = configSchema.shape.signals.parse({ enabled: true });
  tune(config);
  let t = 1_763_870_000_000;
  const clock = { now: () => t, advance: (ms: number) => void (t += ms) };
  const state = createMemoryStateStore({ now: clock.now });
  const recorded: AuditEventInput[] = [];
  const audit = observableTrail({
    record: async (e) => {
      recorded.push(e);
      return { seq: recorded.length - 1, event_id: `ev${recorded.length}` };
    },
    hash: () => 'hmac-sha256:00',
    health: async () => [],
    close: async () => undefined,
  });
  const registry = new Registry();
  audit.observe(new AlertOutlets({ registry, now: clock.now, notice: () => undefined }).observer());
  const detector = new SignalDetector(config, { state, audit, now: clock.now, replica: 'r1', registry, notice: () => undefined });
  return {
    detector,
    audit,
    state,
    recorded,
    registry,
    clock,
    async feed(...events) {
      for (const e of events) detector.offer(e);
      await detector.idle();
    },
    alerts: (signal) => recorded.filter((e) => e.action === 'alert' && (signal === undefined || e.reason === signal)),
  };
}

const executorActor = (id = 'exec-01') => ({ type: 'executor' as const, id, auth: 'mtls' as const });

/** A granted resolve as src/resolve/resolve.ts records it. */
export function granted(crefs: string[], options: { executor?: string; source?: string; job?: string } = {}): AuditEventInput {
  const executor = options.executor ?? 'exec-01';
  return { action: 'resolve', outcome: 'granted', actor: executorActor(executor), tenant: 'tenant_abc', executor, job_id: options.job ?? 'job_1', crefs, source: options.source ?? '10.0.0.7', request_id: 'req_1', sensitive: { nonce: 'n', token: 't' } };
}

/** A refused resolve as src/http/audit_denials.ts records it. */
export function denied(code: string, step: string, options: { executor?: string; source?: string; tenant?: string } = {}): AuditEventInput {
  return {
    action: 'resolve',
    outcome: 'denied',
    code: code as AuditEventInput['code'],
    step: step as AuditEventInput['step'],
    reason: 'test',
    actor: executorActor(options.executor),
    tenant: options.tenant ?? 'tenant_abc',
    executor: options.executor ?? 'exec-01',
    source: options.source ?? '10.0.0.7',
    request_id: 'req_2',
  };
}

/** A granted issuance for an executor. */
export function issued(executor = 'exec-01'): AuditEventInput {
  return { action: 'job.issue', outcome: 'granted', actor: { type: 'coordinator', id: 'ci', auth: 'mtls' }, tenant: 'tenant_abc', executor, job_id: 'job_x' };
}
