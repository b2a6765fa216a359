/**
 * `/v1/proxy/<lease_id>/<path>`: an executor's ordinary HTTPS request, forwarded with the credential injected.
 * In order: the caller is an enabled executor; the target and head are unambiguous; the lease is active, its own
 * and its job open; the route of the lease allows this method and path on its upstream; then the credential is
 * injected and the exchange runs, tracked for cut-off. Each exchange becomes one `proxy.request` audit event
 * (no bodies, no credential, no query values); a refusal is audited by the denial auditor like any other.
 */
import type Router from '@koa/router';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { actorOf } from '../identity/audit_actor.ts';
import type { KoaState } from '../http/context.ts';
import { requireRole } from '../http/validate.ts';
import { assertExecutorActive } from '../executors/active.ts';
import { parseCref } from '../envelope/cref.ts';
import { leaseSubject } from '../leases/lease_audit.ts';
import type { Identity } from '../identity/identity.ts';
import { deny } from '../errors.ts';
import type { GatewayServices } from '../services.ts';
import type { LeaseRecord } from '../state/contract.ts';
import type { RouteProxy } from '../proxy/config.ts';
import { readRequestBody, sendUpstream, streamBack } from '../proxy/forward.ts';
import { checkRequestHead, echoesSecret, responseHeaders, upstreamHeaders } from '../proxy/headers.ts';
import { inject, type OutgoingRequest } from '../proxy/inject.ts';
import { upstreamPlan } from '../proxy/upstream_plan.ts';
import type { ProxyService } from '../proxy/service.ts';
import { takeRefusal } from './refusals.ts';
import { checkAllowed, checkPath, isAllowedPath, parseProxyTarget, queryKeys, type ProxyTarget } from '../proxy/target.ts';

export const PROXY_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** The route template (also the `route` label of the request log line and metrics). */
export const PROXY_ROUTE = '/v1/proxy/:lease_id/{*path}';

/** A 3xx is passed back only if its Location stays on the upstream and inside the allow-list; rewritten to the proxy. */
function redirectLocation(proxy: ProxyService, route: RouteProxy, lease: LeaseRecord, upstream: IncomingMessage, base: URL | string, secrets: readonly string[]): string | undefined {
  const location = upstream.headers.location;
  if (upstream.statusCode === undefined || upstream.statusCode < 300 || upstream.statusCode > 399 || location === undefined) return undefined;
  let target: URL;
  try {
    target = new URL(location, base);
  } catch {
    throw deny('forbidden', 'proxy', 'upstream redirect with an unparsable Location');
  }
  const path = target.pathname;
  let inside = target.origin === upstreamPlan(route).origin && target.username === '' && isAllowedPath(route, path);
  try {
    checkPath(path);
  } catch {
    inside = false;
  }
  // The reason goes to the log and the audit line: an origin carrying the credential (URL hosts are lower-cased) is not named.
  const named = echoesSecret(target.origin.toLowerCase(), secrets.map((s) => s.toLowerCase())) ? 'an origin echoing the credential' : target.origin;
  if (!inside) throw deny('forbidden', 'proxy', `upstream redirect to ${named} outside the allow-list`);
  return `${proxy.proxyUrl(lease.leaseId)}${path.slice(1)}${target.search}`;
}

/**
 * What one proxied request needs of its HTTP framework: Koa's context has all of it, and so has the fast path's
 * plain object (./fast_path.ts), which serves the same requests without Koa's pipeline.
 */
export interface ProxyExchange {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** The peer address (Koa's `ctx.request.ip` with `proxy: false`). */
  ip: string;
  state: KoaState;
  /** Set to the status sent, once the upstream's head is passed back. */
  status: number;
}

/** Serves one proxied request; throws a GatewayError (nothing sent yet) for every refusal. */
export async function handle(ctx: ProxyExchange, services: GatewayServices, proxy: ProxyService): Promise<void> {
  const started = performance.now();
  ctx.state.audit.action = 'proxy.request';
  const identity = requireRole(ctx.state.identity, 'executor');
  const req = ctx.req;
  const target = parseProxyTarget(req.url ?? '');
  ctx.state.audit.lease_ids = [target.leaseId];
  checkRequestHead(req.headers, req.rawHeaders, proxy.settings.max_header_bytes, proxy.authority());
  // Before any state read: a limited request costs the store one counter increment and reaches nothing.
  await services.rateLimiter?.admit('proxy', { executor: identity.id, tenant: identity.tenant, source: ctx.ip });
  // Both reads at once (one state-store round trip, not two in a row); a disabled executor is told first.
  const [active, admitted] = await Promise.allSettled([assertExecutorActive(services.state, identity, 'proxy'), proxy.gate.admit(identity, target.leaseId)]);
  if (active.status === 'rejected') throw active.reason;
  if (admitted.status === 'rejected') throw admitted.reason;
  const { lease, job } = admitted.value;
  Object.assign(ctx.state.audit, { tenant: lease.tenant, job_id: lease.jobId, executor: lease.executor, crefs: [lease.cref] });
  const route = services.router.route(parseCref(lease.cref)!)?.proxy;
  if (route === undefined) throw deny('forbidden', 'proxy', 'the route of this lease has no proxy');
  checkAllowed(route, ctx.method, target.path);
  ctx.state.audit.detail = { method: ctx.method, upstream: route.upstream, path: target.path };

  const controller = new AbortController();
  const untrack = proxy.gate.track(lease, controller);
  let status = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  let cut: string | undefined;
  let echoed: string[] = [];
  try {
    const body = await readRequestBody(req, proxy.settings.max_request_bytes);
    bytesIn = body?.length ?? 0;
    // After a failed audit write, each request is recorded before it goes out until a write succeeds again.
    if (proxy.auditFailing) {
      await services.audit.record({ ...event(ctx, identity, lease, route, target), outcome: 'granted', detail: { method: ctx.method, upstream: route.upstream, path: target.path, recorded: 'before' } });
      proxy.auditFailing = false;
    }
    const value = await proxy.credentials.get(lease, controller.signal);
    const rawTarget = target.query === '' ? target.path : `${target.path}?${target.query}`;
    // Per-route constants (connect address, Host, stripped headers) come from the plan; only SigV4 needs the URL.
    const plan = upstreamPlan(route);
    const url = route.inject.kind === 'aws_sigv4' ? new URL(rawTarget, route.upstream) : undefined;
    const outgoing: OutgoingRequest = { method: ctx.method, url, headers: upstreamHeaders(req.rawHeaders, plan.host, plan.strip), body };
    const secrets = await inject(route.inject, value, outgoing, new Date(services.now()));
    const upstream = await sendUpstream({ method: ctx.method, plan, target: rawTarget, headers: outgoing.headers, body, agent: proxy.agentFor(route), timeoutMs: proxy.settings.upstream_timeout_ms, signal: controller.signal });
    let location: string | undefined;
    try {
      location = redirectLocation(proxy, route, lease, upstream, url ?? `${plan.origin}${rawTarget}`, secrets);
    } catch (err) {
      upstream.resume();
      throw err;
    }
    const filtered = responseHeaders(upstream.rawHeaders, secrets);
    echoed = filtered.echoed;
    // The rewritten Location keeps the upstream's query: one echoing the credential is dropped like any header.
    if (location !== undefined && !echoesSecret(location, secrets)) filtered.headers.location = location;
    else if (location !== undefined && !echoed.includes('location')) echoed.push('location');
    status = upstream.statusCode ?? 502;
    ctx.status = status;
    ctx.res.writeHead(status, filtered.headers);
    const streamed = await streamBack(upstream, ctx.res, proxy.settings.max_response_bytes, proxy.settings.upstream_timeout_ms, controller.signal);
    bytesOut = streamed.bytesOut;
    cut = streamed.cut;
  } finally {
    untrack();
  }
  // After the exchange: the event carries its outcome. The executor already has its answer, so a failing audit
  // sink cannot hold this response back; instead the next requests are audited before they go out (fail closed).
  await services.audit
    .record({
      ...event(ctx, identity, lease, route, target),
      outcome: cut === undefined ? 'ok' : 'error',
      ...(cut === undefined ? {} : { step: 'proxy' as const, reason: cut }),
      job_id: job.jobId,
      detail: {
        method: ctx.method,
        upstream: route.upstream,
        path: target.path,
        query_keys: queryKeys(target.query),
        status,
        bytes_in: bytesIn,
        bytes_out: bytesOut,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
        ...(echoed.length === 0 ? {} : { echoed_headers_dropped: echoed }),
      },
    })
    .catch(() => {
      proxy.auditFailing = true;
    });
}

function event(ctx: ProxyExchange, identity: Identity, lease: LeaseRecord, route: RouteProxy, target: ProxyTarget) {
  return {
    action: 'proxy.request' as const,
    actor: actorOf(identity),
    ...leaseSubject(lease),
    request_id: ctx.state.requestId,
    source: ctx.ip,
    detail: { method: ctx.method, upstream: route.upstream, path: target.path },
  };
}

/** Registers the proxy route for the methods the allow-lists may name; others fall through to "not allowed". */
export function proxyRoutes(router: Router<KoaState>, services: GatewayServices): void {
  router.register(PROXY_ROUTE, PROXY_METHODS, async (ctx) => {
    // A refusal of the fast path, answered here so that it takes the one error mapping and the denial auditor.
    const refused = takeRefusal(ctx.req);
    if (refused !== undefined) {
      Object.assign(ctx.state.audit, refused.audit);
      throw refused.error;
    }
    const proxy = services.proxy;
    if (proxy === undefined) throw deny('not_found', 'proxy', 'proxy delivery is not configured');
    const exchange: ProxyExchange = { req: ctx.req, res: ctx.res, method: ctx.method, ip: ctx.request.ip, state: ctx.state, status: 404 };
    await handle(exchange, services, proxy);
    // Answered by the handler itself (head and body straight from the upstream): Koa must not write it again.
    ctx.status = exchange.status;
    ctx.respond = false;
  });
}
