/**
 * `POST /v1/executors/:id/certificate` (bootstrap listener): an executor proves a bootstrap credential (a
 * one-time join token, or a workload OIDC token that maps to this executor) and sends a CSR; crefgate answers
 * with a short-lived client certificate whose only URI SAN is the registered SPIFFE ID. The CSR is checked
 * before the join token is consumed, so a mistyped CSR does not waste the token.
 */
import type Router from '@koa/router';
import { z } from 'zod';
import { executorIdSchema } from '../envelope/schema.ts';
import { deny } from '../errors.ts';
import type { KoaState } from '../http/context.ts';
import { readJson } from '../http/read_body.ts';
import { validate } from '../http/validate.ts';
import type { OidcVerifier } from '../identity/oidc/verify_oidc.ts';
import { issueLeaf, type CertificateAuthority } from '../pki/ca.ts';
import { publicKeyFromCsr } from '../pki/csr.ts';
import type { GatewayServices } from '../services.ts';
import { verifyAudited } from './bootstrap_context.ts';
import { hashJoinToken } from './join_token_route.ts';

export const certificateRequestSchema = z
  .strictObject({
    csr: z.string().min(1).max(16_384),
    join_token: z.string().regex(/^cjt_[A-Za-z0-9_-]{43}$/).optional(),
    oidc_token: z.string().min(1).max(8192).optional(),
  })
  .refine((b) => (b.join_token === undefined) !== (b.oidc_token === undefined), 'exactly one of join_token or oidc_token');

export interface CertificateIssuer {
  ca: CertificateAuthority;
  trustDomain: string;
  lifetimeSeconds: number;
  oidc: OidcVerifier;
}

/** Registers the certificate route on the bootstrap router. */
export function certificateRoutes(router: Router<KoaState>, services: GatewayServices, issuer: CertificateIssuer): void {
  router.post('/v1/executors/:id/certificate', async (ctx) => {
    ctx.state.audit.action = 'executor.certificate';
    const id = validate(executorIdSchema, ctx.params.id);
    ctx.state.audit.executor = id;
    const body = validate(certificateRequestSchema, await readJson(ctx, services.limits.bodyBytes));
    const publicKey = await publicKeyFromCsr(body.csr);
    const now = services.now();

    let tenant: string;
    let via: 'join_token' | 'oidc';
    if (body.join_token !== undefined) {
      via = 'join_token';
      ctx.state.audit.sensitive = { join_token: body.join_token };
      const token = await services.state.joinTokens.consume(hashJoinToken(body.join_token), now);
      if (token === undefined) throw deny('unauthenticated', 'auth', 'join token is unknown, used or expired');
      // The token is spent either way: one presented for the wrong executor is a leaked token, better destroyed.
      if (token.executor !== id) throw deny('forbidden', 'auth', `join token was created for executor ${token.executor}, not ${id}`);
      tenant = token.tenant;
      ctx.state.identity = { role: 'executor', id, tenant, tenants: [], binding: 'join_token', fingerprint: `join:${hashJoinToken(body.join_token).slice(0, 16)}`, auth: 'join_token' };
    } else {
      via = 'oidc';
      if (!issuer.oidc.enabled) throw deny('unauthenticated', 'auth', 'no OIDC issuer is configured');
      const workload = await verifyAudited(issuer.oidc, ctx.state, body.oidc_token!, now);
      ctx.state.identity = workload;
      if (workload.id !== id) throw deny('forbidden', 'auth', `OIDC token maps to executor ${workload.id}, not ${id}`);
      tenant = workload.tenant!;
    }

    const record = await services.state.executors.get(id);
    if (record === undefined) throw deny('forbidden', 'executor', `executor ${id} is not registered`);
    if (!record.enabled) throw deny('forbidden', 'executor', `executor ${id} is disabled`);
    if (record.tenant !== tenant) throw deny('forbidden', 'executor', `credential names tenant ${tenant}, executor belongs to ${record.tenant}`);
    const spiffeId = `spiffe://${issuer.trustDomain}/tenant/${record.tenant}/executor/${id}`;
    if (!record.identities.includes(spiffeId)) throw deny('forbidden', 'executor', `registration of ${id} does not bind ${spiffeId}`);

    const leaf = await issueLeaf(issuer.ca, { commonName: id, usage: 'client', uri: spiffeId, publicKey, lifetimeMs: issuer.lifetimeSeconds * 1000, now });
    const expiresAt = Math.floor(now / 1000) + issuer.lifetimeSeconds;
    await services.audit.record({
      action: 'executor.certificate',
      outcome: 'granted',
      actor: { type: 'executor', id, auth: via, fingerprint: ctx.state.identity.fingerprint },
      tenant: record.tenant,
      executor: id,
      request_id: ctx.state.requestId,
      source: ctx.request.ip,
      ...(body.join_token === undefined ? {} : { sensitive: { join_token: body.join_token } }),
      detail: { via, spiffe_id: spiffeId, expires_at: expiresAt },
    });
    ctx.status = 201;
    ctx.body = { executor: id, spiffe_id: spiffeId, certificate: leaf.cert, ca: issuer.ca.cert, expires_at: expiresAt };
  });
}
