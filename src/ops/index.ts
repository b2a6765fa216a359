/**
 * Operability of one gateway, assembled once: its metrics registry, its tracer, the wrappers that observe mounts
 * and the state store from the outside, the audit observer handed to the trail, the request middleware, and the
 * ops listener. The gateway calls these at a handful of seams; nothing in the chain or the adapters knows about it.
 */
import type { AddressInfo } from 'node:net';
import type { TracerProvider } from '@opentelemetry/api';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { ResilientAdapter } from '../../adapters/resilience.ts';
import type { AuditObserver } from '../audit/index.ts';
import type { KoaState } from '../http/context.ts';
import { currentOpenapi } from '../openapi/route.ts';
import type { GatewayServices } from '../services.ts';
import type { StateStore } from '../state/contract.ts';
import type { OpsConfig, TracingConfig } from './config.ts';
import { instrumentAdapter } from './instrument_adapter.ts';
import { auditObserver } from './audit_observer.ts';
import { instrumentState } from './instrument_state.ts';
import { GatewayMetrics } from './metrics.ts';
import { observeRequests } from './observe_requests.ts';
import { OpsServer } from './ops_server.ts';
import { createTracing, type Tracing } from '../tracing/tracing.ts';

export { GatewayMetrics } from './metrics.ts';

export interface OpsOptions {
  ops: OpsConfig;
  tracing: TracingConfig | undefined;
  logger: Logger;
  /** Inject a tracer provider (tests: an InMemorySpanExporter behind it); wins over `tracing`. */
  tracerProvider?: TracerProvider | undefined;
}

export class GatewayOps {
  readonly metrics = new GatewayMetrics();
  readonly tracing: Tracing;
  private readonly options: OpsOptions;
  private readonly mounts = new Map<string, ResilientAdapter>();
  private server: OpsServer | undefined;
  private draining = false;
  private bound: AddressInfo | undefined;
  /** Feeds the audit metrics (record latency, lease counters, per-sink latency and lag); handed to the trail at creation. */
  readonly auditObserver: AuditObserver;

  constructor(options: OpsOptions) {
    this.options = options;
    this.tracing = createTracing(options.tracing, options.tracerProvider);
    this.auditObserver = auditObserver(this.metrics);
    this.metrics.sources.breakerStates = () => [...this.mounts].map(([mount, a]) => ({ mount, adapter: a.kind, state: a.breakerState() }));
  }

  /** Observes one mount (latency histogram, spans) and tracks its breaker for the gauge. */
  wrapMount = (mount: string, adapter: ResilientAdapter): ResilientAdapter => {
    this.mounts.set(mount, adapter);
    return instrumentAdapter(mount, adapter, this.metrics, this.tracing.tracer);
  };

  wrapState(store: StateStore): StateStore {
    const observed = instrumentState(store, this.metrics);
    this.metrics.sources.activeLeases = () => store.leases.countActive();
    this.metrics.sources.revocationDepth = () => store.revocations.depth();
    return observed;
  }

  /** The request middleware (log line, latency, resolve outcome, span). */
  middleware(): Middleware<KoaState> {
    return observeRequests(this.metrics, this.options.logger, this.tracing.tracer);
  }

  /** Starts the ops listener (unless disabled); returns its address. */
  async listen(services: GatewayServices): Promise<AddressInfo | undefined> {
    if (!this.options.ops.enabled) return undefined;
    this.server ??= new OpsServer({
      host: this.options.ops.host,
      port: this.options.ops.port,
      metrics: this.metrics,
      services,
      draining: () => this.draining,
      openapi: currentOpenapi,
    });
    const address = await this.server.listen();
    this.bound = address;
    this.options.logger.info({ host: address.address, port: address.port }, 'ops listener (metrics, probes) listening');
    return address;
  }

  /** Where the ops listener listens, once it does. */
  address(): AddressInfo | undefined {
    return this.bound;
  }

  /** Whether shutdown has begun. */
  get isDraining(): boolean {
    return this.draining;
  }

  /** From now on readiness answers 503: load balancers stop routing here while in-flight work finishes. */
  beginDrain(): void {
    this.draining = true;
  }

  /** Exports pending spans and closes the ops listener; called last, so probes answer during the drain. */
  async close(): Promise<void> {
    await this.tracing.shutdown().catch(() => undefined);
    await this.server?.close();
  }
}
