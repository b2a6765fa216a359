/** Lease routes: renew (capped at the job end) and revoke, by the job's executor or coordinator. */
import type Router from '@koa/router';
import { assertExecutorActive } from '../executors/active.ts';
import type { JsonValue } from '../json/value.ts';
import { actorOf } from '../identity/audit_actor.ts';
import type { KoaState } from '../http/context.ts';
import { readJson } from '../http/read_body.ts';
import { requireRole, validate } from '../http/validate.ts';
import { leaseSubject } from '../leases/lease_audit.ts';
import { leaseView } from '../leases/lease_view.ts';
import { loadOwnedLease, renewLease, renewLeaseSchema } from '../leases/renew_lease.ts';
import { revokeLease, revokeLeaseSchema } from '../leases/revoke_lease.ts';
import type { Identity } from '../identity/identity.ts';
import type { GatewayServices } from '../services.ts';
import type { LeaseRecord } from '../state/contract.ts';

export function leaseRoutes(router: Router<KoaState>, services: GatewayServices): void {
  const audited = (action: 'lease.renew' | 'lease.revoke', identity: Identity, lease: LeaseRecord, ctx: { state: KoaState; request: { ip: string } }, detail: Record<string, JsonValue>) =>
    services.audit.record({
      action,
      outcome: 'ok',
      actor: actorOf(identity),
      ...leaseSubject(lease),
      request_id: ctx.state.requestId,
      source: ctx.request.ip,
      detail,
    });

  router.post('/v1/leases/renew', async (ctx) => {
    ctx.state.audit.action = 'lease.renew';
    const identity = requireRole(ctx.state.identity, 'executor', 'coordinator');
    const request = validate(renewLeaseSchema, await readJson(ctx, services.limits.bodyBytes));
    ctx.state.audit.lease_ids = [request.lease_id];
    await assertExecutorActive(services.state, identity, 'lease');
    const { lease, value, replaced } = await renewLease(services, identity, request.lease_id, request.increment, ctx.state.audit);
    const now = services.now();
    try {
      await audited('lease.renew', identity, lease, ctx, { increment: request.increment, capped_at_job_end: lease.expiresAt === lease.jobExpiresAt, renewals: lease.renewals, ...(replaced === undefined ? {} : { replaced }) });
    } catch (err) {
      // A replacement nobody will receive must not stay live until the job ends: end its lease (queues the revocation).
      if (value !== undefined) await revokeLease(services, lease.leaseId, 'renew_aborted').catch(() => undefined);
      throw err;
    }
    ctx.body = {
      ...leaseView(lease, now),
      // A replacement credential (the backend could not extend the old one): a new lease, and its value.
      ...(value === undefined ? {} : { value, replaced }),
    };
  });

  router.post('/v1/leases/revoke', async (ctx) => {
    ctx.state.audit.action = 'lease.revoke';
    const identity = requireRole(ctx.state.identity, 'executor', 'coordinator');
    const request = validate(revokeLeaseSchema, await readJson(ctx, services.limits.bodyBytes));
    ctx.state.audit.lease_ids = [request.lease_id];
    const { lease } = await loadOwnedLease(services, identity, request.lease_id, ctx.state.audit);
    const ended = await revokeLease(services, request.lease_id, 'lease_revoked');
    await audited('lease.revoke', identity, lease, ctx, { already_ended: ended === undefined });
    ctx.body = { lease_id: lease.leaseId, revoked: true };
  });
}
