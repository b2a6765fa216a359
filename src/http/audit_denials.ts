/**
 * Every refused or failed request becomes an audit line with its code, failing step and precise reason. If that
 * line cannot be written, the request fails `unavailable`: the gateway does not operate unaudited.
 */
import type { Middleware } from 'koa';
import type { AuditTrail } from '../audit/contract.ts';
import { GatewayError, asGatewayError } from '../errors.ts';
import type { KoaState } from './context.ts';
import { actorOf } from '../identity/audit_actor.ts';

export function auditDenials(audit: AuditTrail): Middleware<KoaState> {
  return async (ctx, next) => {
    try {
      await next();
    } catch (thrown) {
      const err = asGatewayError(thrown);
      const identity = ctx.state.identity;
      const { action, ...known } = ctx.state.audit ?? { action: 'request' as const };
      try {
        await audit.record({
          ...known,
          // An executor's identity names its tenant: its refusals belong to that tenant even before the route
          // learnt more (a refusal before the body was read, a bad envelope).
          tenant: known.tenant ?? identity?.tenant,
          action,
          outcome: err.status >= 500 ? 'error' : 'denied',
          code: err.code,
          step: err.step,
          reason: err.reason,
          actor: identity === undefined
            ? (ctx.state.claimedActor ?? { type: 'unknown', id: 'unknown', auth: 'none' })
            : actorOf(identity),
          request_id: ctx.state.requestId,
          source: ctx.request.ip,
          detail: { ...(known.detail ?? {}), method: ctx.method, path: ctx.path },
        });
      } catch (auditErr) {
        throw new GatewayError('unavailable', { step: 'audit', reason: 'denial could not be audited', cause: auditErr });
      }
      throw err;
    }
  };
}
