/**
 * `createGateway`: validated config in, a running gateway out. Builds every part once (keys, state store, audit
 * trail, mounts, policy, routes), serves the Koa app on an mTLS-only HTTPS listener, and runs the background
 * workers (lease expiry, backend revocation). `close()` shuts down in order and flushes the audit trail.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type Router from '@koa/router';
import type { TracerProvider } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { builtinRegistry } from '../adapters/builtin.ts';
import { joinTokenRoutes } from './bootstrap/join_token_route.ts';
import { createBootstrapListener } from './bootstrap/listener.ts';
import { OidcVerifier } from './identity/oidc/verify_oidc.ts';
import { loadPluginFactory, type AdapterRegistry } from '../adapters/registry.ts';
import type { ResilientAdapter } from '../adapters/resilience.ts';
import type { AuditTrail } from './audit/contract.ts';
import { createAuditTrail } from './audit/index.ts';
import { Mounts } from './backends/mounts.ts';
import type { Config } from './config/schema.ts';
import { seedExecutors } from './executors/seed.ts';
import { createApp } from './http/app.ts';
import type { KoaState } from './http/context.ts';
import { IdentityMapper, type PinnedExecutor } from './identity/identity.ts';
import { runRevocations, every } from './leases/revocation_worker.ts';
import { sweepExpiredLeases } from './leases/expiry_sweeper.ts';
import { ORPHAN_SWEEP_INTERVAL_MS, sweepOrphans } from './leases/orphan_sweeper.ts';
import { createLogger } from './log.ts';
import { GatewayOps } from './ops/index.ts';
import { Policy } from './policy/policy.ts';
import { policyFromConfig } from './policy/policy_config.ts';
import { limitMount } from './ratelimit/limit_mount.ts';
import { RateLimiter } from './ratelimit/limiter.ts';
import { CrefRouter } from './routing/router.ts';
import { SignalDetector } from './signals/detector.ts';
import type { GatewayServices } from './services.ts';
import type { StateStore } from './state/contract.ts';
import { createStateStore } from './state/index.ts';
import { TokenKeyring } from './tokens/keyring.ts';
import { ProxyService } from './proxy/service.ts';
import { proxyFastPath } from './proxy/fast_path.ts';

export interface GatewayOptions {
  /** Folder of the config file: relative paths resolve against it (then `state_dir`). */
  configDir: string;
  now?: () => number;
  logger?: Logger;
  registry?: AdapterRegistry;
  /** Inject a state store (tests, embedding); default: built from config. */
  state?: StateStore;
  /** Inject an audit trail (embedding); default: built from config. */
  audit?: AuditTrail;
  /** Replica name (audit origin default, revocation consumer). */
  replica?: string;
  /** Run the lease sweeper and revocation worker (default true). */
  workers?: boolean;
  /** Extra routes mounted after the built-in ones (audit stream, metrics…). */
  extraRoutes?: Array<(router: Router<KoaState>, services: GatewayServices) => void>;
  /** Tracer provider for spans (tests: an InMemorySpanExporter); default: built from `tracing` config, or none. */
  tracerProvider?: TracerProvider;
}

export interface Gateway {
  readonly services: GatewayServices;
  readonly server: https.Server;
  /** Metrics, tracing and the ops listener (its address once listening). */
  readonly ops: GatewayOps;
  /** The listener without client certificates, when `bootstrap` is configured (docs/identity.md). */
  readonly bootstrap?: { readonly server: https.Server } | undefined;
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
}

export async function createGateway(config: Config, options: GatewayOptions): Promise<Gateway> {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? createLogger();
  const baseDir = path.resolve(options.configDir, config.state_dir);
  const file = (p: string) => path.resolve(baseDir, p);
  const replica = options.replica ?? `${os.hostname()}-${process.pid}`;
  const ops = new GatewayOps({ ops: config.ops, tracing: config.tracing, logger, tracerProvider: options.tracerProvider });

  const registry = options.registry ?? builtinRegistry();
  for (const plugin of config.plugins) registry.register(await loadPluginFactory(file(plugin.module), plugin.sha256));
  const router = new CrefRouter(config.routes);
  for (const mount of router.mounts()) {
    if (!(mount in config.mounts)) throw new Error(`routes: mount "${mount}" is not configured under mounts`);
  }
  const keyring = await TokenKeyring.load(config.tokens.algorithm, config.tokens.keys.map((k) => ({ ...k, file: file(k.file) })));
  const tls = {
    cert: readFileSync(file(config.gateway.tls.cert_file)),
    key: readFileSync(file(config.gateway.tls.key_file)),
    ca: readFileSync(file(config.gateway.tls.client_ca_file)),
  };

  const rawState = options.state ?? (await createStateStore(config.state, { now, configDir: baseDir }));
  const state = ops.wrapState(rawState);
  // The audit metrics come from the observer handed to the trail (src/ops/audit_observer.ts); an injected trail is used as-is.
  const audit = options.audit ?? (await createAuditTrail(config.audit, { configDir: baseDir, now, notice: (m) => logger.warn(m), observer: ops.auditObserver }));
  // Alerts are recorded on `audit` itself; requests record on the watched trail (docs/signals.md).
  const signals = config.signals.enabled
    ? new SignalDetector(config.signals, { state, audit, now, replica, registry: ops.metrics.registry, notice: (m) => logger.warn(m) })
    : undefined;
  const rateLimiter = RateLimiter.configured(config.rate_limits) ? new RateLimiter(config.rate_limits, state.counters, now) : undefined;
  const observeMount = rateLimiter === undefined ? ops.wrapMount : (m: string, a: ResilientAdapter) => limitMount(m, ops.wrapMount(m, a), rateLimiter);
  const mounts = await Mounts.build(config.mounts, registry, { stateDir: baseDir, configDir: baseDir }, observeMount);
  await seedExecutors(config.executors, state, baseDir, now(), (m) => logger.warn(m));
  if (rawState.kind === 'redis') {
    // A Redis store that lost its data (issue 22, docs/state.md): alert, metric, re-seed before a new epoch.
    const { watchStoreLoss, lossMetrics } = await import('./state/redis/epoch_alert.ts');
    watchStoreLoss(rawState, {
      audit,
      replica,
      metrics: lossMetrics(ops.metrics.registry),
      mounts: Object.keys(config.mounts).map((name) => {
        const adapter = mounts.get(name) as { issue?: unknown; listIssued?: (signal: AbortSignal) => Promise<unknown[]> };
        return { name, dynamic: typeof adapter.issue === 'function', listIssued: adapter.listIssued?.bind(adapter) };
      }),
      reseed: (store) => seedExecutors(config.executors, store, baseDir, now(), (m) => logger.warn(m)),
      log: (message, facts) => logger.error(facts, message),
    });
  }

  const services: GatewayServices = {
    state,
    audit: signals?.watch(audit) ?? audit,
    keyring,
    tokenPolicy: {
      issuer: config.gateway.issuer,
      audience: config.gateway.audience,
      clockSkewSeconds: config.gateway.clock_skew_seconds,
      maxLifetimeSeconds: config.gateway.token_ttl_seconds,
    },
    policy: new Policy(policyFromConfig(config.tenants, config.identities.filter((i) => i.role === 'coordinator').map((i) => i.id))),
    router,
    mounts,
    now,
    limits: {
      bodyBytes: config.gateway.body_limit_bytes,
      tokenTtlSeconds: config.gateway.token_ttl_seconds,
      staticLeaseSeconds: config.leases.static_lease_seconds,
      defaultGraceMs: 300_000,
    },
    replica,
    rateLimiter,
    tracer: ops.tracing.enabled ? ops.tracing.tracer : undefined,
  };

  // Proxy delivery (docs/proxy.md). Its lease gate watches the trail, so this replica's completions and revocations
  // cut proxied exchanges off at once; the listening address is read lazily (port 0 in tests).
  services.proxy = new ProxyService({
    settings: config.proxy, routes: config.routes, state, router, mounts, now,
    readFile: (f) => readFileSync(file(f)),
    listeningOrigin: () => `https://${config.gateway.host.includes(':') ? `[${config.gateway.host}]` : config.gateway.host}:${(server.address() as AddressInfo | null)?.port ?? config.gateway.port}`,
    gatewayHost: config.gateway.host,
  });
  services.audit = services.proxy.gate.watch(services.audit);

  const pinned = new Map<string, PinnedExecutor>();
  for (const e of config.executors) {
    for (const id of e.identities) if (id.startsWith('sha256:')) pinned.set(id, { id: e.id, tenant: e.tenant });
  }
  const identities = new IdentityMapper(config.gateway.trust_domain, config.identities, pinned);
  const bootstrap = config.bootstrap === undefined
    ? undefined
    : await createBootstrapListener(config.bootstrap, {
        services, oidc: new OidcVerifier(config.oidc), trustDomain: config.gateway.trust_domain, logger,
        tls: { cert: tls.cert, key: tls.key, clientCa: tls.ca, minVersion: config.gateway.tls.min_version },
        readFile: (f) => readFileSync(file(f), 'utf8'),
      });
  const ownRoutes = config.bootstrap === undefined ? [] : [(r: Router<KoaState>) => joinTokenRoutes(r, services, config.bootstrap!.join_token_ttl_seconds)];
  const routes = [...ownRoutes, ...(options.extraRoutes ?? []).map((add) => (r: Router<KoaState>) => add(r, services))];
  const observers = [ops.middleware()];
  const app = createApp(services, identities, logger, routes, observers);
  // Proxied requests skip Koa's pipeline; their refusals go through Koa without the observers (src/proxy/fast_path.ts).
  const handler = proxyFastPath({ services, identities, observers, refusals: createApp(services, identities, logger, routes, []).callback(), app: app.callback() });

  const server = https.createServer(
    {
      ...tls,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: config.gateway.tls.min_version,
      // Session tickets would let a resumed session skip the client-certificate check on some stacks.
      sessionTimeout: 300,
      // A socket that never finishes the handshake is dropped (Node's default would hold it for 120 s).
      handshakeTimeout: config.gateway.tls_handshake_timeout_ms,
      // headersTimeout and requestTimeout are only enforced when Node sweeps connections (default every 30 s):
      // sweep often enough that a slow-loris client is cut off close to its limit.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(config.gateway.headers_timeout_ms, config.gateway.request_timeout_ms) / 4))),
    },
    handler,
  );
  server.headersTimeout = config.gateway.headers_timeout_ms;
  server.requestTimeout = config.gateway.request_timeout_ms;
  server.maxConnections = config.gateway.max_connections;
  server.keepAliveTimeout = 5000;
  server.on('tlsClientError', (err) => logger.debug({ err: err.message }, 'TLS handshake refused'));

  const onWorkerError = (err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'background pass failed');
  const workers = options.workers === false
    ? []
    : [
        every(config.leases.sweep_interval_ms, () => sweepExpiredLeases(services), onWorkerError),
        every(1000, () => runRevocations(services, replica, config.leases.revocation_stale_after_ms), onWorkerError),
        // Database users no lease owns (a crash between CREATE USER and the lease record): src/leases/orphan_sweeper.ts.
        every(ORPHAN_SWEEP_INTERVAL_MS, () => sweepOrphans(services, Object.keys(config.mounts)), onWorkerError),
      ];

  let closing: Promise<void> | undefined;
  return {
    services,
    server,
    ops,
    bootstrap,
    async listen() {
      await bootstrap?.listen();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.gateway.port, config.gateway.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      await ops.listen(services);
      return address;
    },
    close() {
      closing ??= (async () => {
        // Readiness turns 503 first; then stop accepting and let in-flight requests finish (their audit events
        // included). Keep-alive connections are closed as soon as they fall idle; past the drain deadline the
        // rest (a stuck backend, a long audit stream) are cut. Then stop the rest; the ops listener goes last.
        ops.beginDrain();
        await new Promise<void>((resolve) => {
          const idle = setInterval(() => server.closeIdleConnections(), 50);
          const deadline = setTimeout(() => server.closeAllConnections(), config.ops.drain_timeout_ms);
          server.close(() => {
            clearInterval(idle);
            clearTimeout(deadline);
            resolve();
          });
          server.closeIdleConnections();
        });
        await bootstrap?.close();
        services.proxy?.close();
        await Promise.all(workers.map((w) => w.stop()));
        await mounts.close();
        await signals?.close();
        if (options.audit === undefined) await audit.close();
        if (options.state === undefined) await state.close();
        await ops.close();
      })();
      return closing;
    },
  };
}
