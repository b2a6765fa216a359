/** JWKS (token verification keys) and health/readiness. */
import type Router from '@koa/router';
import type { KoaState } from '../http/context.ts';
import type { GatewayServices } from '../services.ts';
import { readiness } from '../readiness.ts';

export function sysRoutes(router: Router<KoaState>, services: GatewayServices): void {
  const jwks = (ctx: { body: unknown; set(name: string, value: string): void }) => {
    ctx.set('cache-control', 'public, max-age=300');
    ctx.body = services.keyring.jwks();
  };
  router.get('/v1/jwks', jwks);
  router.get('/.well-known/jwks.json', jwks);
  router.get('/v1/sys/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/v1/sys/ready', async (ctx) => {
    const report = await readiness(services);
    ctx.status = report.ready ? 200 : 503;
    ctx.body = report;
  });
}
