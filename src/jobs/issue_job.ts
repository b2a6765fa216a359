/**
 * `POST /v1/jobs`: a coordinator asks for a job envelope. Policy decides (tenant, executor, crefs, TTL); the
 * payload is canonicalised (RFC 8785), tagged with the executor's current HMAC secret, and bound to a short-lived
 * request token by `pld` and `jti`. The job is recorded, the issuance audited, and only then is it returned.
 */
import { z } from 'zod';
import { bindingsSchema, unmetBinding } from '../envelope/bindings.ts';
import { canonicalJson } from '../envelope/canonical.ts';
import { parseCref } from '../envelope/cref.ts';
import { payloadDigest } from '../envelope/payload_digest.ts';
import { crefMapSchema, deliverySchema, executorIdSchema, tenantIdSchema, type Envelope, type JobPayload } from '../envelope/schema.ts';
import { hmacTag } from '../crypto/hmac.ts';
import { newNonce, randomId } from '../crypto/random.ts';
import { deny } from '../errors.ts';
import { authorizeCref, type CrefRefusal } from '../policy/authorize_cref.ts';
import { isCurrent } from '../state/secret_grace.ts';
import type { Identity } from '../identity/identity.ts';
import type { GatewayServices } from '../services.ts';
import { signRequestToken } from '../tokens/request_token.ts';
import { actorOf } from '../identity/audit_actor.ts';
import { checkDelivery } from '../proxy/issuance.ts';

export const issueJobSchema = z.strictObject({
  tenant: tenantIdSchema,
  executor: executorIdSchema,
  crefs: crefMapSchema,
  ttl: z.number().int().min(1).describe('job lifetime in seconds; leases never outlive it'),
  bindings: bindingsSchema.optional().describe('binds the job to a CI run: a workload OIDC identity must carry each as a claim of equal value (docs/identity.md)'),
  delivery: deliverySchema.optional().describe('aliases to deliver through the proxy: their resolve returns a proxy URL, never the value'),
});

export type IssueJobRequest = z.infer<typeof issueJobSchema>;

/** What the coordinator is told about a refused cref (the audit line keeps the full reason). */
const PUBLIC_REFUSAL: Record<CrefRefusal, string> = {
  tenant: 'is outside the tenant',
  policy: 'is not allowed for this executor',
  route: 'has no route',
};

export async function issueJob(services: GatewayServices, identity: Identity, request: IssueJobRequest, requestId: string): Promise<Envelope> {
  if (identity.role !== 'coordinator') throw deny('forbidden', 'auth', `role ${identity.role} may not issue jobs`);
  const tenantRule = services.policy.mayIssue(identity, request.tenant);
  if (!tenantRule.allowed) throw deny('forbidden', 'policy', tenantRule.rule);
  const maxTtl = services.policy.maxTtlSeconds(request.tenant)!;
  if (request.ttl > maxTtl) throw deny('forbidden', 'policy', `ttl ${request.ttl} s exceeds tenant maximum ${maxTtl} s`, `ttl exceeds the tenant maximum of ${maxTtl} s`);

  const executor = await services.state.executors.get(request.executor);
  if (executor === undefined || !executor.enabled || executor.tenant !== request.tenant) {
    throw deny('forbidden', 'policy', `executor ${request.executor} is unknown, disabled or not in ${request.tenant}`, 'executor is unknown, disabled or in another tenant');
  }
  const crefRules: string[] = [];
  for (const [alias, raw] of Object.entries(request.crefs)) {
    // The same rule as resolve's step 7 (no workload yet: claim-bound grants are enforced at resolve).
    const verdict = authorizeCref(services.policy, services.router, { tenant: request.tenant, executor, cref: parseCref(raw)! });
    if (!verdict.allowed) throw deny('forbidden', 'policy', verdict.reason, `crefs.${alias} ${PUBLIC_REFUSAL[verdict.refusal]}`);
    crefRules.push(verdict.rule);
    const unmet = unmetBinding(verdict.route, request.bindings);
    if (unmet !== undefined) {
      const why = unmet.problem === 'missing' ? `requires a job bound to a ${unmet.name}` : `does not accept this ${unmet.name} binding`;
      throw deny('forbidden', 'policy', `route of ${raw} ${why}`, `crefs.${alias} ${why}`);
    }
  }
  const delivery = checkDelivery(services.router, request.crefs, request.delivery);
  const secret = executor.secrets.find(isCurrent);
  if (secret === undefined) throw deny('unavailable', 'policy', `executor ${executor.id} has no current HMAC secret`);

  const now = services.now();
  const issuedAt = Math.floor(now / 1000);
  const payload: JobPayload = {
    v: 1,
    job_id: randomId('job'),
    tenant: request.tenant,
    executor: request.executor,
    crefs: request.crefs,
    issued_at: issuedAt,
    expires_at: issuedAt + request.ttl,
    nonce: newNonce(),
    ...(request.bindings === undefined ? {} : { bindings: request.bindings }),
    ...delivery,
  };
  const canonical = canonicalJson(payload);
  const token = await signRequestToken(services.keyring, {
    iss: services.tokenPolicy.issuer,
    aud: services.tokenPolicy.audience,
    sub: payload.executor,
    jti: payload.nonce,
    iat: issuedAt,
    nbf: issuedAt,
    exp: Math.min(issuedAt + services.limits.tokenTtlSeconds, payload.expires_at),
    tenant: payload.tenant,
    job_id: payload.job_id,
    pld: payloadDigest(canonical),
  });
  await services.state.jobs.create({
    jobId: payload.job_id,
    tenant: payload.tenant,
    executor: payload.executor,
    coordinator: identity.id,
    crefs: payload.crefs,
    issuedAt: now,
    expiresAt: payload.expires_at * 1000,
    ...(payload.bindings === undefined ? {} : { bindings: payload.bindings }),
  });
  await services.audit.record({
    action: 'job.issue',
    outcome: 'granted',
    actor: actorOf(identity),
    tenant: payload.tenant,
    job_id: payload.job_id,
    executor: payload.executor,
    crefs: Object.values(payload.crefs),
    request_id: requestId,
    sensitive: { nonce: payload.nonce },
    detail: { ttl: request.ttl, hmac_kid: secret.kid, token_kid: services.keyring.current.kid, rule: tenantRule.rule, cref_rules: crefRules, ...(delivery.delivery === undefined ? {} : { proxied: Object.keys(delivery.delivery) }), ...boundTo(payload) },
  });
  // Returned in canonical member order, so an envelope saved as JSON can be presented exactly as issued.
  return { payload: JSON.parse(canonical) as JobPayload, kid: secret.kid, sig: hmacTag(secret.secret, canonical), token };
}

/** The job's bindings for its issuance audit line (not secret: they name a repository, commit and run). */
function boundTo(payload: JobPayload): { bindings?: Record<string, string> } {
  return payload.bindings === undefined ? {} : { bindings: payload.bindings as Record<string, string> };
}
