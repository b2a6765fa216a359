/** Config schema of the `rate_limits:` section. Owned by src/ratelimit/. Nothing is limited unless configured. */
import { z } from 'zod';

const limit = z.strictObject({
  limit: z.number().int().min(1).describe('requests allowed per window'),
  window_seconds: z.number().int().min(1).max(86_400).default(60).describe('fixed window length; windows are aligned to the epoch on every replica'),
});

const scope = z.strictObject({
  per_executor: limit.optional().describe('per executor (resolve: the TLS identity; issuance: the executor the job is for)'),
  per_tenant: limit.optional().describe('per tenant'),
  per_source: limit.optional().describe('per client source address'),
});

export const rateLimitsConfigSchema = z.strictObject({
  resolve: scope.prefault({}).describe('POST /v1/resolve, checked before the chain so a limited request burns no nonce'),
  issue: scope.prefault({}).describe('POST /v1/jobs, checked before the job is created'),
  proxy: scope.prefault({}).describe('proxied requests (/v1/proxy/…), checked before the lease is read (docs/proxy.md)'),
  mounts: z.record(z.string(), limit).default({}).describe('backend reads and issues per mount (revocations are never limited)'),
});

export type RateLimit = z.infer<typeof limit>;
export type RateLimitScope = z.infer<typeof scope>;
export type RateLimitsConfig = z.infer<typeof rateLimitsConfigSchema>;
