/**
 * Executor lifecycle (admin role): register (the HMAC secret is shown exactly once), rotate with a grace window,
 * disable and enable (effective on the next request, on every replica), list and describe.
 */
import type Router from '@koa/router';
import { z } from 'zod';
import type { AuditAction } from '../audit/contract.ts';
import { isCrefPattern } from '../envelope/cref.ts';
import { executorIdSchema, tenantIdSchema } from '../envelope/schema.ts';
import { deny } from '../errors.ts';
import { describeExecutor, newVersion } from '../executors/secrets.ts';
import { acceptedUntil } from '../state/secret_grace.ts';
import type { KoaState } from '../http/context.ts';
import { readJson } from '../http/read_body.ts';
import { requireRole, validate } from '../http/validate.ts';
import type { Identity } from '../identity/identity.ts';
import type { GatewayServices } from '../services.ts';
import { actorOf } from '../identity/audit_actor.ts';

export const registerSchema = z.strictObject({
  id: executorIdSchema,
  tenant: tenantIdSchema,
  identities: z.array(z.string().regex(/^(spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._~-]+)+|sha256:[0-9a-f]{64})$/)).min(1).max(16),
  allowed_crefs: z.array(z.string().refine(isCrefPattern, 'not a cref pattern')).max(256).default([]),
  grace_seconds: z.number().int().min(0).max(86_400).optional(),
});

export function executorRoutes(router: Router<KoaState>, services: GatewayServices): void {
  const audit = (identity: Identity, action: AuditAction, requestId: string, record: { id: string; tenant: string }, detail: Record<string, string | number | boolean> = {}) =>
    services.audit.record({
      action,
      outcome: 'ok',
      actor: actorOf(identity),
      tenant: record.tenant,
      executor: record.id,
      request_id: requestId,
      detail,
    });

  router.post('/v1/executors', async (ctx) => {
    ctx.state.audit.action = 'executor.register';
    const identity = requireRole(ctx.state.identity, 'admin');
    const body = validate(registerSchema, await readJson(ctx, services.limits.bodyBytes));
    const now = services.now();
    const version = newVersion(now);
    const created = await services.state.executors.register({
      id: body.id,
      tenant: body.tenant,
      identities: body.identities,
      allowedCrefs: body.allowed_crefs,
      enabled: true,
      createdAt: now,
      secrets: [version],
      graceMs: (body.grace_seconds ?? services.limits.defaultGraceMs / 1000) * 1000,
    });
    if (!created) throw deny('conflict', 'policy', `executor ${body.id} already exists`, 'executor already exists');
    await audit(identity, 'executor.register', ctx.state.requestId, body, { kid: version.kid });
    ctx.status = 201;
    ctx.body = { id: body.id, tenant: body.tenant, kid: version.kid, secret: version.secret.toString('base64url') };
  });

  // Reads are audited like changes: the answer is sent only once the line saying who read what is durable.
  router.get('/v1/executors', async (ctx) => {
    ctx.state.audit.action = 'executor.list';
    const identity = requireRole(ctx.state.identity, 'admin', 'auditor');
    const tenant = typeof ctx.query.tenant === 'string' ? validate(tenantIdSchema, ctx.query.tenant) : undefined;
    ctx.state.audit.tenant = tenant;
    const now = services.now();
    const executors = (await services.state.executors.list(tenant)).map((r) => describeExecutor(r, now));
    await services.audit.record({
      action: 'executor.list',
      outcome: 'ok',
      actor: actorOf(identity),
      tenant,
      request_id: ctx.state.requestId,
      source: ctx.request.ip,
      detail: { count: executors.length, tenant_filter: tenant ?? '*' },
    });
    ctx.body = { executors };
  });

  router.get('/v1/executors/:id', async (ctx) => {
    ctx.state.audit.action = 'executor.read';
    const identity = requireRole(ctx.state.identity, 'admin', 'auditor');
    const id = validate(executorIdSchema, ctx.params.id);
    ctx.state.audit.executor = id;
    const record = await services.state.executors.get(id);
    if (record === undefined) throw deny('not_found', 'policy', 'no such executor');
    await services.audit.record({
      action: 'executor.read',
      outcome: 'ok',
      actor: actorOf(identity),
      tenant: record.tenant,
      executor: record.id,
      request_id: ctx.state.requestId,
      source: ctx.request.ip,
    });
    ctx.body = describeExecutor(record, services.now());
  });

  router.post('/v1/executors/:id/rotate', async (ctx) => {
    ctx.state.audit.action = 'executor.rotate';
    const identity = requireRole(ctx.state.identity, 'admin');
    const id = validate(executorIdSchema, ctx.params.id);
    const now = services.now();
    const version = newVersion(now);
    const record = await services.state.executors.rotate(id, version, now);
    if (record === undefined) throw deny('not_found', 'policy', 'no such executor');
    await audit(identity, 'executor.rotate', ctx.state.requestId, record, { kid: version.kid, grace_seconds: record.graceMs / 1000 });
    ctx.body = { id, kid: version.kid, secret: version.secret.toString('base64url'), previous_accepted_until: Math.floor(acceptedUntil({ supersededAt: now }, record.graceMs)! / 1000) };
  });

  for (const [verb, enabled] of [['disable', false], ['enable', true]] as const) {
    router.post(`/v1/executors/:id/${verb}`, async (ctx) => {
      const action = enabled ? 'executor.enable' : 'executor.disable';
      ctx.state.audit.action = action;
      const identity = requireRole(ctx.state.identity, 'admin');
      const record = await services.state.executors.setEnabled(validate(executorIdSchema, ctx.params.id), enabled, services.now());
      if (record === undefined) throw deny('not_found', 'policy', 'no such executor');
      await audit(identity, action, ctx.state.requestId, record);
      ctx.body = { id: record.id, enabled: record.enabled };
    });
  }
}
