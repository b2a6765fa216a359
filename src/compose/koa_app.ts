/**
 * The one Koa builder, used by both listeners (the mTLS one and the bootstrap one), so every request on either
 * gets the same error mapping, request log line, metrics and span. Read top to bottom it is the order every request
 * goes through: error mapping, the observers (src/ops/), denial auditing, the request context (who is calling),
 * the routes, then the refusal of whatever no route handled (inside the denial auditor, so it is audited too).
 */
import type { Router as KoaRouter } from '@koa/router';
import { Router } from '@koa/router';
import Koa, { type Middleware } from 'koa';
import type { Logger } from 'pino';
import type { AuditTrail } from '../audit/contract.ts';
import { GatewayError } from '../errors.ts';
import { auditDenials } from '../http/audit_denials.ts';
import type { KoaState } from '../http/context.ts';
import { errorMiddleware } from '../http/error_middleware.ts';

export interface KoaAppParts {
  logger: Logger;
  audit: AuditTrail;
  /** Sets the request id and who is calling: the TLS identity (main) or a workload token (bootstrap). */
  context: Middleware<KoaState>;
  /** Registers the listener's routes. */
  routes: (router: KoaRouter<KoaState>) => void;
  /** Run just inside the error middleware: request log line, metrics, span (src/ops/). */
  observers: ReadonlyArray<Middleware<KoaState>>;
  /** Answers a request no route handled (it throws; default: the main listener's 405/404 refusal). */
  unmatched?: Middleware<KoaState>;
}

/** Reached only when no route handled the request: a known path with another method is malformed, else not found. */
export const refuseUnmatched: Middleware<KoaState> = (ctx) => {
  const pathMatched = ((ctx as unknown as { matched?: unknown[] }).matched ?? []).length > 0;
  if (pathMatched) throw new GatewayError('malformed', { reason: `method ${ctx.method} not allowed`, detail: 'method not allowed' });
  throw new GatewayError('not_found', { reason: 'no such route' });
};

/** A Koa application with the gateway's pipeline around `parts.routes`. */
export function buildKoaApp(parts: KoaAppParts): Koa<KoaState> {
  const app = new Koa<KoaState>({ proxy: false });
  app.silent = true; // errors are logged by errorMiddleware, never printed by Koa with a stack
  const router = new Router<KoaState>();
  parts.routes(router);

  app.use(errorMiddleware(parts.logger));
  for (const observe of parts.observers) app.use(observe);
  app.use(auditDenials(parts.audit));
  app.use(parts.context);
  app.use(router.routes());
  app.use(parts.unmatched ?? refuseUnmatched);
  return app;
}
