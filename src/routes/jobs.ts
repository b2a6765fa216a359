/** Job routes: issue an envelope (coordinator), complete a job (its executor or coordinator). */
import type Router from '@koa/router';
import { completeJob } from '../jobs/complete_job.ts';
import { issueJob, issueJobSchema } from '../jobs/issue_job.ts';
import { jobIdSchema } from '../envelope/schema.ts';
import type { KoaState } from '../http/context.ts';
import { readJson } from '../http/read_body.ts';
import { requireRole, validate } from '../http/validate.ts';
import type { GatewayServices } from '../services.ts';
import { actorOf } from '../identity/audit_actor.ts';

export function jobRoutes(router: Router<KoaState>, services: GatewayServices): void {
  router.post('/v1/jobs', async (ctx) => {
    ctx.state.audit.action = 'job.issue';
    const identity = requireRole(ctx.state.identity, 'coordinator');
    const request = validate(issueJobSchema, await readJson(ctx, services.limits.bodyBytes));
    Object.assign(ctx.state.audit, { tenant: request.tenant, executor: request.executor, crefs: Object.values(request.crefs) });
    await services.rateLimiter?.admit('issue', { executor: request.executor, tenant: request.tenant, source: ctx.request.ip });
    ctx.body = await issueJob(services, identity, request, ctx.state.requestId);
    ctx.status = 201;
  });

  router.post('/v1/jobs/:id/complete', async (ctx) => {
    ctx.state.audit.action = 'job.complete';
    const identity = requireRole(ctx.state.identity, 'executor', 'coordinator');
    const jobId = validate(jobIdSchema, ctx.params.id);
    ctx.state.audit.job_id = jobId;
    const { revoked, tenant } = await completeJob(services, identity, jobId, ctx.state.audit);
    await services.audit.record({
      action: 'job.complete',
      outcome: 'ok',
      actor: actorOf(identity),
      tenant,
      job_id: jobId,
      lease_ids: revoked,
      request_id: ctx.state.requestId,
      source: ctx.request.ip,
    });
    ctx.body = { job_id: jobId, completed: true, revoked_leases: revoked.length };
  });
}
