/**
 * The proxy's parts, built once at start-up: the settings, the held credentials, the lease gate (admission and
 * cut-off) and one keep-alive TLS agent per upstream, each verifying the upstream's certificate against Node's
 * public roots or the route's `ca_file`. The gateway hands it to routes and to the resolve (services.proxy).
 */
import https from 'node:https';
import type { Mounts } from '../backends/mounts.ts';
import type { RouteConfig } from '../config/schema.ts';
import type { CrefRouter } from '../routing/router.ts';
import type { StateStore } from '../state/contract.ts';
import type { ProxySettings, RouteProxy } from './config.ts';
import { ProxyCredentials } from './credentials.ts';
import { LeaseGate } from './lease_gate.ts';
import { PROXY_PREFIX } from './target.ts';

export interface ProxyServiceOptions {
  settings: ProxySettings;
  routes: RouteConfig[];
  state: StateStore;
  router: CrefRouter;
  mounts: Mounts;
  now: () => number;
  /** Reads a `ca_file` (relative paths resolve like every other file of the config). */
  readFile: (file: string) => Buffer;
  /** This gateway's own origin once listening (used when `proxy.public_url` is not set). */
  listeningOrigin: () => string;
  /** `gateway.host`: a wildcard address cannot name the gateway in a URL, so it requires `proxy.public_url`. */
  gatewayHost: string;
}

const agentKey = (proxy: RouteProxy) => `${proxy.upstream} ${proxy.ca_file ?? ''}`;

export class ProxyService {
  readonly settings: ProxySettings;
  readonly credentials: ProxyCredentials;
  readonly gate: LeaseGate;
  /** Set when a `proxy.request` event could not be written: requests are then audited before they go out. */
  auditFailing = false;
  private readonly agents = new Map<string, https.Agent>();
  private readonly listeningOrigin: () => string;
  private cachedOrigin: string | undefined;
  private readonly sweeper: NodeJS.Timeout;
  private cachedAuthority: string | undefined;

  constructor(options: ProxyServiceOptions) {
    this.settings = options.settings;
    this.listeningOrigin = options.listeningOrigin;
    const proxied = options.routes.some((r) => r.proxy !== undefined);
    if (proxied && options.settings.public_url === undefined && ['0.0.0.0', '::', '[::]', ''].includes(options.gatewayHost)) {
      throw new Error('proxy.public_url is required when gateway.host is a wildcard address and a route has proxy: (executors need a URL that names the gateway)');
    }
    this.credentials = new ProxyCredentials(options.router, options.mounts, options.settings.credential_cache_ms, options.now);
    this.gate = new LeaseGate(options.state, options.now, options.settings.check_interval_ms, (leaseId) => this.credentials.drop(leaseId));
    // Held values whose lease ended without an event this replica saw are forgotten within a few seconds.
    this.sweeper = setInterval(() => this.credentials.sweep(), Math.max(1000, options.settings.check_interval_ms)).unref();
    // Built (and CA files read) at start-up: a missing CA file fails the start, not the first request.
    for (const route of options.routes) {
      if (route.proxy === undefined || this.agents.has(agentKey(route.proxy))) continue;
      const ca = route.proxy.ca_file === undefined ? undefined : options.readFile(route.proxy.ca_file);
      this.agents.set(agentKey(route.proxy), new https.Agent({ keepAlive: true, maxSockets: 256, rejectUnauthorized: true, minVersion: 'TLSv1.2', ...(ca === undefined ? {} : { ca }) }));
    }
  }

  /** The agent that talks to a route's upstream. */
  agentFor(proxy: RouteProxy): https.Agent {
    const agent = this.agents.get(agentKey(proxy));
    if (agent === undefined) throw new Error(`no agent for ${proxy.upstream}`);
    return agent;
  }

  /** Origin of proxy URLs: `proxy.public_url`, else this gateway's listening address (read once it listens). */
  origin(): string {
    if (this.cachedOrigin !== undefined) return this.cachedOrigin;
    const origin = (this.settings.public_url ?? this.listeningOrigin()).replace(/\/+$/, '');
    // Port 0 means "not listening yet": do not keep that.
    if (!origin.endsWith(':0')) this.cachedOrigin = origin;
    return origin;
  }

  /** `host[:port]` a proxied request's Host header must name. */
  authority(): string {
    if (this.cachedAuthority !== undefined) return this.cachedAuthority;
    const authority = new URL(this.origin()).host;
    if (this.cachedOrigin !== undefined) this.cachedAuthority = authority;
    return authority;
  }

  /** The base URL an executor sends its requests to for one lease. */
  proxyUrl(leaseId: string): string {
    return `${this.origin()}${PROXY_PREFIX}${leaseId}/`;
  }

  close(): void {
    clearInterval(this.sweeper);
    this.gate.stop();
    for (const agent of this.agents.values()) agent.destroy();
  }
}
