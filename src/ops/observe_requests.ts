/**
 * One middleware for what operators see of each request: a span around it, the per-route latency histogram,
 * the resolve outcome counter (by code and failing step), and one structured log line. It sits just inside the
 * error middleware, so it sees the GatewayError a request ended with (after the denial auditor) before it
 * becomes a response. The log line names the route template, never the raw path, and carries no body or header.
 *
 * Per request it does only what is switched on: no span bookkeeping without tracing, no log object below `info`,
 * and the metric series are looked up once per label set (prom-client hashes the labels on every call otherwise).
 */
import { type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { Context, Middleware, Next } from 'koa';
import type { Logger } from 'pino';
import { asGatewayError, type GatewayError } from '../errors.ts';
import type { KoaState } from '../http/context.ts';
import type { GatewayMetrics } from './metrics.ts';
import { isTracing } from '../tracing/tracing.ts';

const UNMATCHED = 'unmatched';
/** Where @koa/router leaves the template of the route that handled the request. */
const MATCHED_ROUTE = '_matchedRoute';
/** Label sets remembered per metric; beyond this (never with real routes) series are looked up each time. */
const MAX_SERIES = 1000;

/** `metric.labels(...)` children, remembered by a key of their label values. */
function seriesCache<L, C>(make: (labels: L) => C): (key: string, labels: () => L) => C {
  const children = new Map<string, C>();
  return (key, labels) => {
    let child = children.get(key);
    if (child === undefined) {
      child = make(labels());
      if (children.size < MAX_SERIES) children.set(key, child);
    }
    return child;
  };
}

/** Observes every request; rethrows whatever it catches. */
export function observeRequests(metrics: GatewayMetrics, logger: Logger, tracer: Tracer): Middleware<KoaState> {
  const duration = seriesCache((labels: { method: string; route: string; status: string }) => metrics.requestDuration.labels(labels));
  const resolves = seriesCache((labels: { outcome: string; code: string; step: string }) => metrics.resolves.labels(labels));

  const observe = async (ctx: Context & { state: KoaState }, next: Next, span: Span | undefined): Promise<void> => {
    const started = process.hrtime.bigint();
    let failure: GatewayError | undefined;
    try {
      await next();
    } catch (thrown) {
      failure = asGatewayError(thrown);
      throw thrown;
    } finally {
      const route: unknown = Reflect.get(ctx, MATCHED_ROUTE);
      const routeName = typeof route === 'string' ? route : UNMATCHED;
      const status = failure?.status ?? ctx.status;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const method = ctx.method;
      duration(`${method} ${routeName} ${status}`, () => ({ method, route: routeName, status: String(status) })).observe(seconds);
      if (routeName === '/v1/resolve' && method === 'POST') {
        if (failure === undefined) resolves('granted', () => ({ outcome: 'granted', code: '', step: '' })).inc();
        else {
          const outcome = failure.status >= 500 ? 'error' : 'denied';
          const { code, step = '' } = failure;
          resolves(`${outcome} ${code} ${step}`, () => ({ outcome, code, step })).inc();
        }
      }
      if (logger.isLevelEnabled('info')) {
        const identity = ctx.state.identity;
        logger.info(
          {
            request_id: ctx.state.requestId,
            method,
            route: routeName,
            status,
            duration_ms: Math.round(seconds * 1e6) / 1e3,
            identity: identity === undefined ? undefined : { id: identity.id, role: identity.role, auth: identity.auth },
            code: failure?.code,
            step: failure?.step,
          },
          'request',
        );
      }
      if (span !== undefined) {
        span.updateName(`${method} ${routeName}`);
        span.setAttributes({
          'http.request.method': method,
          'http.route': routeName,
          'http.response.status_code': status,
          'crefgate.request_id': ctx.state.requestId ?? '',
          ...(failure === undefined ? {} : { 'crefgate.code': failure.code, 'crefgate.step': failure.step ?? '' }),
        });
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
    }
  };

  if (!isTracing(tracer)) return (ctx, next) => observe(ctx, next, undefined);
  return (ctx, next) => tracer.startActiveSpan(`${ctx.method} request`, { kind: SpanKind.SERVER }, (span) => observe(ctx, next, span));
}
