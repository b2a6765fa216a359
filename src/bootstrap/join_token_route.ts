/**
 * `POST /v1/executors/:id/join-token` (admin, main mTLS listener): a one-time bootstrap credential for one
 * executor's first certificate. Shown once; only its SHA-256 is stored, so a read of the state store does not
 * yield usable tokens, and the audit line carries only its keyed HMAC.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Router from '@koa/router';
import { executorIdSchema } from '../envelope/schema.ts';
import { deny } from '../errors.ts';
import type { KoaState } from '../http/context.ts';
import { requireRole, validate } from '../http/validate.ts';
import type { GatewayServices } from '../services.ts';
import { actorOf } from '../identity/audit_actor.ts';

/** hex SHA-256 of a join token: what the store keys it by. A 256-bit random token needs no slow hash. */
export function hashJoinToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Registers the join-token route; tokens live `ttlSeconds` unless used first. */
export function joinTokenRoutes(router: Router<KoaState>, services: GatewayServices, ttlSeconds: number): void {
  router.post('/v1/executors/:id/join-token', async (ctx) => {
    ctx.state.audit.action = 'executor.join_token';
    const identity = requireRole(ctx.state.identity, 'admin');
    const id = validate(executorIdSchema, ctx.params.id);
    ctx.state.audit.executor = id;
    const record = await services.state.executors.get(id);
    if (record === undefined) throw deny('not_found', 'policy', 'no such executor');
    if (!record.enabled) throw deny('forbidden', 'executor', `executor ${id} is disabled`);
    const now = services.now();
    const token = `cjt_${randomBytes(32).toString('base64url')}`;
    const expiresAt = now + ttlSeconds * 1000;
    await services.state.joinTokens.put({ tokenHash: hashJoinToken(token), executor: id, tenant: record.tenant, createdBy: identity.id, createdAt: now, expiresAt });
    await services.audit.record({
      action: 'executor.join_token',
      outcome: 'ok',
      actor: actorOf(identity),
      tenant: record.tenant,
      executor: id,
      request_id: ctx.state.requestId,
      sensitive: { join_token: token },
      detail: { expires_at: Math.floor(expiresAt / 1000) },
    });
    ctx.status = 201;
    ctx.body = { executor: id, join_token: token, expires_at: Math.floor(expiresAt / 1000) };
  });
}
