/** The built-in routes of the main (mTLS) listener; src/compose/main_routes.ts adds the OpenAPI document and extras. */
import type { Router } from '@koa/router';
import type { KoaState } from '../http/context.ts';
import type { GatewayServices } from '../services.ts';
import { auditStreamRoutes } from './audit_stream.ts';
import { executorRoutes } from './executors.ts';
import { jobRoutes } from './jobs.ts';
import { leaseRoutes } from './leases.ts';
import { resolveRoutes } from './resolve.ts';
import { sysRoutes } from './sys.ts';
import { proxyRoutes } from '../proxy_http/route.ts';

export function mainRoutes(router: Router<KoaState>, services: GatewayServices): void {
  jobRoutes(router, services);
  resolveRoutes(router, services);
  leaseRoutes(router, services);
  executorRoutes(router, services);
  sysRoutes(router, services);
  auditStreamRoutes(router, services);
  proxyRoutes(router, services);
}
