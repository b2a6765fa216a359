/**
 * `GET /v1/audit/stream` (auditor role): the live audit trail as NDJSON or SSE, resumable from a seq. Opening and
 * closing a stream are audit events themselves (`audit.stream.open`, `audit.stream.close`): who read the trail,
 * from which seq, for which tenant, and how many lines were delivered.
 */
import type Router from '@koa/router';
import type { StreamingAuditTrail } from '../audit/index.ts';
import type { JsonValue } from '../json/value.ts';
import { auditStreamHandler, type StreamRequest } from '../audit/trail/stream_route.ts';
import { GatewayError } from '../errors.ts';
import type { KoaState } from '../http/context.ts';
import { actorOf } from '../identity/audit_actor.ts';
import { requireRole } from '../http/validate.ts';
import type { GatewayServices } from '../services.ts';

export function auditStreamRoutes(router: Router<KoaState>, services: GatewayServices): void {
  const trail = services.audit as Partial<StreamingAuditTrail>;
  // An embedder may inject an AuditTrail without a live feed; the route then answers not_found.
  const live = typeof trail.subscribe === 'function' && typeof trail.nextSeq === 'number';
  router.get('/v1/audit/stream', async (ctx, next) => {
    ctx.state.audit.action = 'audit.stream.open';
    const identity = requireRole(ctx.state.identity, 'auditor');
    if (!live) throw new GatewayError('not_found', { reason: 'this audit trail has no live stream' });
    const event = (action: 'audit.stream.open' | 'audit.stream.close', request: StreamRequest, extra: Record<string, JsonValue> = {}) =>
      services.audit.record({
        action,
        outcome: 'ok',
        actor: actorOf(identity),
        tenant: request.tenant,
        request_id: ctx.state.requestId,
        source: ctx.request.ip,
        detail: { from_seq: request.fromSeq, format: request.format, tenant_filter: request.tenant ?? '*', ...extra },
      });
    // Opening is audited before the first line leaves (a failure refuses the stream). Closing is recorded after the
    // client left, so nothing can wait for it; if that line cannot be written the trail is failing, which its
    // health check reports and which refuses the next request anyway.
    const handler = auditStreamHandler(trail as StreamingAuditTrail, {
      opened: async (request) => {
        await event('audit.stream.open', request);
      },
      closed: (request, end) => {
        event('audit.stream.close', request, { delivered: end.delivered, reason: end.reason }).catch(() => undefined);
      },
    });
    await handler(ctx, next);
  });
}
