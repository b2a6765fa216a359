/**
 * The Koa application: error mapping, request context (request id, TLS identity), denial auditing, then the
 * routes. Read top to bottom it is the order every request goes through.
 */
import { Router } from '@koa/router';
import Koa, { type Middleware } from 'koa';
import type { Logger } from 'pino';
import { GatewayError } from '../errors.ts';
import type { IdentityMapper } from '../identity/identity.ts';
import { mainRoutes } from '../routes/index.ts';
import type { GatewayServices } from '../services.ts';
import { auditDenials } from './audit_denials.ts';
import type { KoaState } from './context.ts';
import { errorMiddleware } from './error_middleware.ts';
import { requestContext } from './request_context.ts';

/** `observers` run just inside the error middleware (request log, metrics, spans: src/ops/). */
export function createApp(
  services: GatewayServices,
  identities: IdentityMapper,
  logger: Logger,
  extraRoutes: Array<(router: Router<KoaState>) => void> = [],
  observers: Array<Middleware<KoaState>> = [],
): Koa<KoaState> {
  const app = new Koa<KoaState>({ proxy: false });
  app.silent = true; // errors are logged by errorMiddleware, never printed by Koa with a stack
  const router = new Router<KoaState>();
  mainRoutes(router, services);
  for (const add of extraRoutes) add(router);

  app.use(errorMiddleware(logger));
  for (const observe of observers) app.use(observe);
  app.use(auditDenials(services.audit));
  app.use(requestContext(identities));
  app.use(router.routes());
  // Reached only when no route handled the request: refused here, inside the denial auditor, so it is audited.
  app.use((ctx) => {
    const pathMatched = ((ctx as unknown as { matched?: unknown[] }).matched ?? []).length > 0;
    if (pathMatched) throw new GatewayError('malformed', { reason: `method ${ctx.method} not allowed`, detail: 'method not allowed' });
    throw new GatewayError('not_found', { reason: 'no such route' });
  });
  return app;
}
