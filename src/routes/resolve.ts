/** `POST /v1/resolve`: the executor presents its envelope; see src/resolve/resolve.ts for the whole flow. */
import type Router from '@koa/router';
import type { ResolveState } from '../chain/context.ts';
import type { KoaState } from '../http/context.ts';
import { readBodyText } from '../http/read_body.ts';
import { resolveEnvelope } from '../resolve/resolve.ts';
import type { GatewayServices } from '../services.ts';
import { withDeadline } from '../deadline/abortable.ts';

/** Backend calls still running this long after the request arrived are cancelled. */
const RESOLVE_DEADLINE_MS = 60_000;

export function resolveRoutes(router: Router<KoaState>, services: GatewayServices): void {
  router.post('/v1/resolve', async (ctx) => {
    ctx.state.audit.action = 'resolve';
    const state: ResolveState = {
      requestId: ctx.state.requestId,
      now: services.now(),
      identity: ctx.state.identity!,
      source: ctx.request.ip,
      rawBody: '',
    };
    try {
      // Before the body is read and long before step 8: a limited request changes nothing and burns no nonce.
      await services.rateLimiter?.admit('resolve', { executor: state.identity.id, tenant: state.identity.tenant, source: ctx.request.ip });
      state.rawBody = await readBodyText(ctx, services.limits.bodyBytes);
      ctx.body = await withDeadline(RESOLVE_DEADLINE_MS, () => new Error('resolve deadline passed'), (signal) => resolveEnvelope(services, state, signal));
    } finally {
      // Whatever the chain learnt before stopping goes into the denial's audit line.
      const payload = state.envelope?.payload;
      if (payload !== undefined) {
        Object.assign(ctx.state.audit, {
          tenant: payload.tenant,
          job_id: payload.job_id,
          executor: payload.executor,
          crefs: Object.values(payload.crefs),
          sensitive: { nonce: payload.nonce, token: state.envelope!.token },
        });
      }
      if (state.auditDetail !== undefined) ctx.state.audit.detail = { ...ctx.state.audit.detail, ...state.auditDetail };
    }
  });
}
