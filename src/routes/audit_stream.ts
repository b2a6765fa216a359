/** `GET /v1/audit/stream` (auditor role): the live audit trail as NDJSON or SSE, resumable from a seq. */
import type Router from '@koa/router';
import type { StreamingAuditTrail } from '../audit/index.ts';
import { auditStreamHandler } from '../audit/stream_route.ts';
import { GatewayError } from '../errors.ts';
import type { KoaState } from '../http/context.ts';
import { requireRole } from '../http/validate.ts';
import type { GatewayServices } from '../services.ts';

export function auditStreamRoutes(router: Router<KoaState>, services: GatewayServices): void {
  const trail = services.audit as Partial<StreamingAuditTrail>;
  // An embedder may inject an AuditTrail without a live feed; the route then answers not_found.
  const handler = typeof trail.subscribe === 'function' && typeof trail.nextSeq === 'number'
    ? auditStreamHandler(trail as StreamingAuditTrail)
    : undefined;
  router.get('/v1/audit/stream', async (ctx, next) => {
    requireRole(ctx.state.identity, 'auditor');
    if (handler === undefined) throw new GatewayError('not_found', { reason: 'this audit trail has no live stream' });
    await handler(ctx, next);
  });
}
