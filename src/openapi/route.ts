/** `GET /v1/openapi.json`: the API description, built once from the request schemas. */
import type Router from '@koa/router';
import pkg from '../../package.json' with { type: 'json' };
import type { KoaState } from '../http/context.ts';
import { openapiDocument } from './document.ts';

let cached: Record<string, unknown> | undefined;

/** The document for this package version (built on first use). */
export function currentOpenapi(): Record<string, unknown> {
  cached ??= openapiDocument(pkg.version);
  return cached;
}

export function openapiRoutes(router: Router<KoaState>): void {
  router.get('/v1/openapi.json', (ctx) => {
    ctx.set('cache-control', 'public, max-age=300');
    ctx.body = currentOpenapi();
  });
}
