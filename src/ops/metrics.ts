/**
 * The gateway's Prometheus metrics, on a Registry of its own: several gateways in one process (tests, embedding)
 * never share or collide on a series. Gauges that mirror shared state (active leases, revocation queue depth,
 * breaker state) are read when scraped, so a scrape is always current and nothing polls in between.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds; resolves span a local read (sub-millisecond) to a slow cloud backend with retries (seconds). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** What the scrape-time gauges read; filled in once the services exist. */
export interface MetricSources {
  activeLeases?: () => Promise<number>;
  revocationDepth?: () => Promise<number>;
  breakerStates?: () => Array<{ mount: string; adapter: string; state: string }>;
}

const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly sources: MetricSources = {};

  readonly resolves = new Counter({
    name: 'crefgate_resolves_total',
    help: 'Resolve requests by outcome (granted, denied, error), client code and the chain step that stopped them',
    labelNames: ['outcome', 'code', 'step'] as const,
    registers: [this.registry],
  });

  readonly requestDuration = new Histogram({
    name: 'crefgate_http_request_duration_seconds',
    help: 'Request latency per route (the route template, never the raw path), method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly adapterDuration = new Histogram({
    name: 'crefgate_adapter_call_duration_seconds',
    help: 'Backend call latency per mount and operation, retries included, by outcome (ok or the adapter error code)',
    labelNames: ['mount', 'adapter', 'op', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly leasesIssued = new Counter({ name: 'crefgate_leases_issued_total', help: 'Leases issued by resolves on this replica', registers: [this.registry] });

  readonly leasesEnded = new Counter({
    name: 'crefgate_leases_revoked_total',
    help: 'Leases ended on this replica, by cause (revoked, job_completed, expired)',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });

  readonly revocations = new Counter({
    name: 'crefgate_backend_revocations_total',
    help: 'Backend revocation attempts by outcome (ok, retry)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly auditRecordDuration = new Histogram({
    name: 'crefgate_audit_record_duration_seconds',
    help: 'Time from recording an audit event to it being durable in every required sink',
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly auditSinkWriteDuration = new Histogram({
    name: 'crefgate_audit_sink_write_duration_seconds',
    help: 'Audit batch write latency per sink, by outcome',
    labelNames: ['sink', 'required', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly auditSinkLag = new Gauge({
    name: 'crefgate_audit_sink_lag_events',
    help: 'Committed audit events a sink has not acknowledged yet (0 for a healthy sink)',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });

  readonly stateErrors = new Counter({
    name: 'crefgate_state_store_errors_total',
    help: 'Failed state store operations by area and operation',
    labelNames: ['area', 'op'] as const,
    registers: [this.registry],
  });

  /** Scrape-time gauges; kept as fields so tests and embedders can read them. */
  readonly leasesActive: Gauge;
  readonly revocationDepth: Gauge;
  readonly breakerState: Gauge<'mount' | 'adapter' | 'state'>;

  constructor() {
    const sources = this.sources;
    this.leasesActive = new Gauge({
      name: 'crefgate_leases_active',
      help: 'Active leases in the state store (shared by every replica)',
      registers: [this.registry],
      async collect() {
        if (sources.activeLeases !== undefined) this.set(await sources.activeLeases().catch(() => Number.NaN));
      },
    });
    this.revocationDepth = new Gauge({
      name: 'crefgate_revocation_queue_depth',
      help: 'Backend revocations waiting or being retried (shared by every replica)',
      registers: [this.registry],
      async collect() {
        if (sources.revocationDepth !== undefined) this.set(await sources.revocationDepth().catch(() => Number.NaN));
      },
    });
    this.breakerState = new Gauge({
      name: 'crefgate_circuit_breaker_state',
      help: 'Circuit breaker of each mount: 1 for the state it is in, 0 for the others',
      labelNames: ['mount', 'adapter', 'state'] as const,
      registers: [this.registry],
      collect() {
        for (const { mount, adapter, state } of sources.breakerStates?.() ?? []) {
          for (const s of BREAKER_STATES) this.set({ mount, adapter, state: s }, s === state ? 1 : 0);
        }
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'crefgate_process_' });
  }

  /** The exposition text and its content type. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
