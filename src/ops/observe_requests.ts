/**
 * One middleware for what operators see of each request: a span around it, the per-route latency histogram,
 * the resolve outcome counter (by code and failing step), and one structured log line. It sits just inside the
 * error middleware, so it sees the GatewayError a request ended with (after the denial auditor) before it
 * becomes a response. The log line names the route template, never the raw path, and carries no body or header.
 */
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { asGatewayError, type GatewayError } from '../errors.ts';
import type { KoaState } from '../http/context.ts';
import type { GatewayMetrics } from './metrics.ts';

const UNMATCHED = 'unmatched';
/** Where @koa/router leaves the template of the route that handled the request. */
const MATCHED_ROUTE = '_matchedRoute';

/** Observes every request; rethrows whatever it catches. */
export function observeRequests(metrics: GatewayMetrics, logger: Logger, tracer: Tracer): Middleware<KoaState> {
  return (ctx, next) =>
    tracer.startActiveSpan(`${ctx.method} request`, { kind: SpanKind.SERVER }, async (span) => {
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
        metrics.requestDuration.observe({ method: ctx.method, route: routeName, status: String(status) }, seconds);
        if (routeName === '/v1/resolve' && ctx.method === 'POST') {
          metrics.resolves.inc(
            failure === undefined
              ? { outcome: 'granted', code: '', step: '' }
              : { outcome: failure.status >= 500 ? 'error' : 'denied', code: failure.code, step: failure.step ?? '' },
          );
        }
        const identity = ctx.state.identity;
        logger.info(
          {
            request_id: ctx.state.requestId,
            method: ctx.method,
            route: routeName,
            status,
            duration_ms: Math.round(seconds * 1e6) / 1e3,
            identity: identity === undefined ? undefined : { id: identity.id, role: identity.role, auth: identity.auth },
            code: failure?.code,
            step: failure?.step,
          },
          'request',
        );
        span.updateName(`${ctx.method} ${routeName}`);
        span.setAttributes({
          'http.request.method': ctx.method,
          'http.route': routeName,
          'http.response.status_code': status,
          'crefgate.request_id': ctx.state.requestId ?? '',
          ...(failure === undefined ? {} : { 'crefgate.code': failure.code, 'crefgate.step': failure.step ?? '' }),
        });
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
    });
}
