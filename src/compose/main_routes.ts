/**
 * Every route of the main (mTLS) listener, registered in one place: the Koa app and the OpenAPI test both use it.
 * The composition root hands the OpenAPI route in here, so routes/ never imports the document that describes it.
 */
import type { Router } from '@koa/router';
import type { KoaState } from '../http/context.ts';
import { openapiRoutes } from '../openapi/route.ts';
import { mainRoutes } from '../routes/index.ts';
import type { GatewayServices } from '../services.ts';

/** The built-in routes, `GET /v1/openapi.json`, then `extra` (join tokens, embedders' routes) in order. */
export function mainListenerRoutes(router: Router<KoaState>, services: GatewayServices, extra: ReadonlyArray<(router: Router<KoaState>) => void> = []): void {
  mainRoutes(router, services);
  openapiRoutes(router);
  for (const add of extra) add(router);
}
