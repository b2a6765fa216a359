/**
 * Zod schemas of what the gateway answers, for the OpenAPI document only. Requests are described by the very
 * schemas that validate them (imported from where they are used); responses are built by handlers, so they are
 * described here, next to nothing else, and the e2e tests check real answers against them.
 */
import { z } from 'zod';
import { statusOf, type ErrorCode } from '../errors.ts';

const epochSeconds = z.number().int().min(0);
const leaseId = z.string().regex(/^lease_[A-Za-z0-9_-]{16,64}$/);

export const errorResponseSchema = z.strictObject({
  error: z.strictObject({
    code: z.enum(Object.keys(statusOf) as [ErrorCode, ...ErrorCode[]]).describe('stable, coarse code; the failing step goes to the audit line only'),
    message: z.string(),
    request_id: z.string().describe('quote it to operators: it finds the audit line'),
  }),
});

export const resolvedSecretSchema = z.strictObject({
  value: z.union([z.string(), z.record(z.string(), z.string())]).optional().describe('the secret, or its fields; absent for proxy delivery'),
  encoding: z.literal('base64').optional().describe('set when the value is binary'),
  lease_id: leaseId,
  lease_duration: z.number().int().min(0).describe('seconds until the lease ends unless renewed'),
  renewable: z.boolean(),
  expires_at: epochSeconds.describe('never after the job end'),
  proxy_url: z.string().optional().describe('proxy delivery: send requests here; crefgate injects the credential (docs/proxy.md)'),
});

export const resolveResponseSchema = z.strictObject({
  job_id: z.string(),
  secrets: z.record(z.string(), resolvedSecretSchema).describe('by alias: every requested cref, or none'),
});

export const leaseInfoSchema = z.strictObject({
  lease_id: leaseId.describe('after a replacement: the new lease, which the holder uses from now on'),
  lease_duration: z.number().int().min(0),
  renewable: z.boolean(),
  expires_at: epochSeconds,
  value: z.union([z.string(), z.record(z.string(), z.string())]).optional().describe('set when the backend replaced the credential (GitHub tokens): the new value'),
  replaced: leaseId.optional().describe('with value: the lease that ended, its credential queued for revocation'),
});

export const leaseRevokedSchema = z.strictObject({ lease_id: leaseId, revoked: z.literal(true) });

export const jobCompletedSchema = z.strictObject({ job_id: z.string(), completed: z.literal(true), revoked_leases: z.number().int().min(0) });

export const executorSecretSchema = z.strictObject({
  id: z.string(),
  tenant: z.string().optional(),
  kid: z.string(),
  secret: z.string().describe('base64url HMAC secret: shown only in this answer'),
  previous_accepted_until: epochSeconds.optional().describe('rotation: the previous secret works until then'),
});

export const executorSchema = z.strictObject({
  id: z.string(),
  tenant: z.string(),
  identities: z.array(z.string()),
  allowed_crefs: z.array(z.string()),
  enabled: z.boolean(),
  created_at: epochSeconds,
  grace_seconds: z.number().int(),
  secret_versions: z.array(
    z.strictObject({ kid: z.string(), created_at: epochSeconds, status: z.enum(['current', 'grace', 'retired']), accepted_until: epochSeconds.optional() }),
  ),
});

export const executorListSchema = z.strictObject({ executors: z.array(executorSchema) });
export const executorEnabledSchema = z.strictObject({ id: z.string(), enabled: z.boolean() });

export const jwksSchema = z.object({ keys: z.array(z.object({ kty: z.string(), kid: z.string(), alg: z.string().optional(), use: z.string().optional() })) });

export const healthSchema = z.strictObject({ status: z.literal('ok') });

export const readinessSchema = z.strictObject({
  ready: z.boolean(),
  state: z.strictObject({ ok: z.boolean(), detail: z.string().optional() }),
  audit: z.array(z.strictObject({ name: z.string(), required: z.boolean(), ok: z.boolean() })),
  backends: z.array(z.strictObject({ mount: z.string(), ok: z.boolean(), breaker: z.string() })).describe('reported, not gating'),
});

export const joinTokenSchema = z.strictObject({ executor: z.string(), join_token: z.string(), expires_at: z.number().int() });

export const executorCertificateSchema = z.strictObject({
  executor: z.string(),
  spiffe_id: z.string(),
  certificate: z.string().describe('PEM, lifetime at most the configured maximum (≤ 24 h)'),
  ca: z.string().describe('PEM of the issuing CA'),
  expires_at: z.number().int(),
});
