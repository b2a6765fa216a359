/**
 * Builds the gateway's parts once, from validated config: adapter registry and plugins, cref router, token keys,
 * state store, audit trail, signals, rate limits, mounts, seeded executors, the store-loss watch, and the proxy
 * service; then the `GatewayServices` every route and worker is handed. Nothing here listens or runs on a timer.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { builtinRegistry } from '../../adapters/builtin.ts';
import { loadPluginFactory } from '../../adapters/registry.ts';
import type { ResilientAdapter } from '../../adapters/resilience.ts';
import type { AuditTrail } from '../audit/contract.ts';
import { createAuditTrail } from '../audit/index.ts';
import { Mounts } from '../backends/mounts.ts';
import type { Config } from '../config/schema.ts';
import { DEFAULT_GRACE_SECONDS } from '../config/defaults.ts';
import { seedExecutors } from '../executors/seed.ts';
import type { GatewayOps } from '../ops/index.ts';
import { Policy } from '../policy/policy.ts';
import { policyFromConfig } from '../policy/policy_config.ts';
import { ProxyService } from '../proxy/service.ts';
import { limitMount } from '../ratelimit/limit_mount.ts';
import { RateLimiter } from '../ratelimit/limiter.ts';
import { CrefRouter } from '../routing/router.ts';
import type { GatewayServices } from '../services.ts';
import { AlertOutlets } from '../signals/alert_outlets.ts';
import { SignalDetector } from '../signals/detector.ts';
import type { StateStore } from '../state/contract.ts';
import { createStateStore } from '../state/index.ts';
import { TokenKeyring } from '../tokens/keyring.ts';
import type { GatewayOptions } from './options.ts';

export interface BuildContext {
  config: Config;
  options: GatewayOptions;
  logger: Logger;
  ops: GatewayOps;
  now: () => number;
  replica: string;
  /** Folder relative paths resolve against (config folder, then `state_dir`). */
  baseDir: string;
  file: (p: string) => string;
  /** The main listener's port once listening (port 0 in tests), for the proxy's own origin. */
  listeningPort: () => number | undefined;
}

/** The services and the parts `close()` shuts down (the trail and the store, as built). */
export interface BuiltServices {
  services: GatewayServices;
  audit: AuditTrail;
  state: StateStore;
  mounts: Mounts;
  /** The detector (if enabled) and the alert outlets, and their observer registrations on the trail. */
  signals: { close(): Promise<void> };
}

export async function buildServices(b: BuildContext): Promise<BuiltServices> {
  const { config, options, logger, ops, now, replica, baseDir, file } = b;
  const registry = options.registry ?? builtinRegistry();
  for (const plugin of config.plugins) registry.register(await loadPluginFactory(file(plugin.module), plugin.sha256));
  const router = new CrefRouter(config.routes);
  for (const mount of router.mounts()) {
    if (!(mount in config.mounts)) throw new Error(`routes: mount "${mount}" is not configured under mounts`);
  }
  const keyring = await TokenKeyring.load(config.tokens.algorithm, config.tokens.keys.map((k) => ({ ...k, file: file(k.file) })));

  const rawState = options.state ?? (await createStateStore(config.state, { now, configDir: baseDir }));
  const state = ops.wrapState(rawState);
  // The audit metrics come from the observer handed to the trail (src/ops/audit_observer.ts); an injected trail is used as-is.
  const audit = options.audit ?? (await createAuditTrail(config.audit, { configDir: baseDir, now, notice: (m) => logger.warn(m), observer: ops.auditObserver }));
  // Observers registered once the trail exists, since they record on it (src/audit/trail/observer.ts): the alert
  // outlets count and send every durable alert, whoever raised it (detector, witness, store loss: docs/signals.md).
  const alerts = new AlertOutlets({ registry: ops.metrics.registry, webhook: config.signals.webhook, now, notice: (m) => logger.warn(m) });
  const detector = config.signals.enabled
    ? new SignalDetector(config.signals, { state, audit, now, replica, registry: ops.metrics.registry, notice: (m) => logger.warn(m) })
    : undefined;
  const unobserve = [audit.observe(alerts.observer()), ...(detector === undefined ? [] : [audit.observe(detector.observer())])];
  const rateLimiter = RateLimiter.configured(config.rate_limits) ? new RateLimiter(config.rate_limits, state.counters, now) : undefined;
  const observeMount = rateLimiter === undefined ? ops.wrapMount : (m: string, a: ResilientAdapter) => limitMount(m, ops.wrapMount(m, a), rateLimiter);
  const mounts = await Mounts.build(config.mounts, registry, { stateDir: baseDir, configDir: baseDir }, observeMount);
  await seedExecutors(config.executors, state, baseDir, now(), (m) => logger.warn(m));
  if (rawState.kind === 'redis') {
    // A Redis store that lost its data (issue 22, docs/state.md): alert, metric, re-seed before a new epoch.
    const { watchStoreLoss, lossMetrics } = await import('../state/redis/epoch_alert.ts');
    const { reconcileAfterLoss, reconciliationDetail } = await import('../leases/reconcile_after_loss.ts');
    const dynamicMounts = Object.keys(config.mounts)
      .filter((name) => typeof (mounts.get(name) as { issue?: unknown }).issue === 'function')
      .map((name) => ({ name, kind: config.mounts[name]!.adapter }));
    watchStoreLoss(rawState, {
      audit,
      replica,
      metrics: lossMetrics(ops.metrics.registry),
      mounts: Object.keys(config.mounts).map((name) => ({ name, dynamic: dynamicMounts.some((m) => m.name === name) })),
      reseed: (store) => seedExecutors(config.executors, store, baseDir, now(), (m) => logger.warn(m)),
      // What the lost leases tracked is revoked where the backend lists it (src/leases/reconcile_after_loss.ts);
      // `services` is built below and only read once a loss is being recovered.
      reconcile: async (store, loss) => reconciliationDetail(await reconcileAfterLoss(services, dynamicMounts, { state: store, lostAt: loss.at })),
      log: (message, facts) => logger.error(facts, message),
    });
  }

  const services: GatewayServices = {
    state,
    audit,
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
      defaultGraceMs: DEFAULT_GRACE_SECONDS * 1000,
    },
    replica,
    rateLimiter,
    tracer: ops.tracing.enabled ? ops.tracing.tracer : undefined,
  };

  // Proxy delivery (docs/proxy.md). Its lease gate observes the trail, so this replica's completions and revocations
  // cut proxied exchanges off at once; the listening address is read lazily (port 0 in tests).
  services.proxy = new ProxyService({
    settings: config.proxy, routes: config.routes, state, router, mounts, now,
    readFile: (f) => readFileSync(file(f)),
    listeningOrigin: () => `https://${config.gateway.host.includes(':') ? `[${config.gateway.host}]` : config.gateway.host}:${b.listeningPort() ?? config.gateway.port}`,
    gatewayHost: config.gateway.host,
  });
  unobserve.push(audit.observe(services.proxy.gate.observer()));
  const signals = {
    async close(): Promise<void> {
      await detector?.close();
      await alerts.close();
      // An injected trail outlives this gateway: it must not keep calling into it.
      for (const off of unobserve) off();
    },
  };
  return { services, audit, state, mounts, signals };
}
