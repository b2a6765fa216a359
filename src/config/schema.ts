/**
 * The configuration schema. Config is validated once, at start-up, into the typed `Config`; nothing downstream
 * reads raw config. Each section's keys are documented with `.describe()` so docs/configuration.md can be
 * generated from this file.
 */
import { z } from 'zod';
import { auditConfigSchema } from '../audit/config.ts';
import { stateConfigSchema } from '../state/config.ts';
import { OPS_DEFAULTS, opsConfigSchema, tracingConfigSchema } from '../ops/config.ts';
import { isCrefPattern } from '../envelope/cref.ts';
import { tenantPolicySchema } from '../policy/policy_config.ts';
import { bootstrapConfigSchema } from '../bootstrap/config.ts';
import { oidcConfigSchema } from '../identity/oidc/config.ts';
import { rateLimitsConfigSchema } from '../ratelimit/config.ts';
import { signalsConfigSchema } from '../signals/config.ts';
import { ID_PATTERN, ID_SOURCE } from '../envelope/id.ts';
import { routeBindingShape } from '../envelope/bindings.ts';
import { PROXY_DEFAULTS, proxySettingsSchema, routeProxySchema } from '../proxy/config.ts';
import { DEFAULT_GATEWAY_HOST, DEFAULT_GATEWAY_PORT, DEFAULT_GRACE_SECONDS, DEFAULT_REVOCATION_STALE_AFTER_MS, DEFAULT_TRUST_DOMAIN } from './defaults.ts';

export const tenantId = z.string().regex(ID_PATTERN, `tenant id: ${ID_SOURCE}`);
export const executorId = z.string().regex(ID_PATTERN, `executor id: ${ID_SOURCE}`);
const identityRef = z
  .string()
  .regex(/^(spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._~-]+)+|sha256:[0-9a-f]{64})$/, 'a spiffe:// URI or sha256:<64 hex>');
const crefPattern = z.string().refine(isCrefPattern, 'a cref pattern such as cref://tenant/ci/* or cref://tenant/**');

const tls = z.strictObject({
  cert_file: z.string().describe('server certificate chain (PEM)'),
  key_file: z.string().describe('server private key (PEM)'),
  client_ca_file: z.string().describe('CA bundle that client certificates must chain to'),
  min_version: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
});

const gateway = z.strictObject({
  host: z.string().default(DEFAULT_GATEWAY_HOST),
  port: z.number().int().min(0).max(65535).default(DEFAULT_GATEWAY_PORT),
  trust_domain: z.string().regex(/^[a-z0-9._-]{1,255}$/).default(DEFAULT_TRUST_DOMAIN).describe('SPIFFE trust domain of executor identities'),
  issuer: z.string().min(1).default('crefgate').describe('`iss` of request tokens'),
  audience: z.string().min(1).default('crefgate:resolve').describe('`aud` of request tokens'),
  tls,
  body_limit_bytes: z.number().int().min(1024).max(1_048_576).default(65_536),
  clock_skew_seconds: z.number().int().min(0).max(300).default(30),
  token_ttl_seconds: z.number().int().min(10).max(300).default(300).describe('request token life (≤ 5 minutes)'),
  headers_timeout_ms: z.number().int().min(100).default(10_000),
  request_timeout_ms: z.number().int().min(100).default(30_000),
  max_connections: z.number().int().min(1).default(10_000),
  tls_handshake_timeout_ms: z.number().int().min(100).max(120_000).default(10_000).describe('drop a connection whose TLS handshake is not done by then'),
});

const signingKey = z.strictObject({
  file: z.string().describe('private key, PEM (PKCS#8)'),
  kid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional().describe('default: RFC 7638 thumbprint'),
  status: z.enum(['current', 'next', 'previous']).default('current'),
});

const tokens = z
  .strictObject({
    algorithm: z.enum(['RS256', 'ES256', 'EdDSA']).default('RS256'),
    keys: z.array(signingKey).min(1),
  })
  .refine((t) => t.keys.filter((k) => k.status === 'current').length === 1, { message: 'exactly one key must be current' });

const identity = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).describe('name used in audit lines'),
    role: z.enum(['coordinator', 'admin', 'auditor']),
    uri: identityRef.optional().describe('URI SAN of the client certificate'),
    fingerprint: z.string().regex(/^sha256:[0-9a-f]{64}$/).optional().describe('pinned certificate fingerprint'),
    tenants: z.array(tenantId).default([]).describe('coordinators: tenants it may issue jobs for'),
  })
  .refine((i) => i.uri !== undefined || i.fingerprint !== undefined, { message: 'needs uri or fingerprint' });

const tenant = tenantPolicySchema;

const executor = z.strictObject({
  id: executorId,
  tenant: tenantId,
  identities: z.array(identityRef).min(1),
  allowed_crefs: z.array(crefPattern).default([]),
  hmac_secret_file: z.string().describe('base64url secret (≥ 32 bytes) seeded on first start'),
  grace_seconds: z.number().int().min(0).max(86_400).default(DEFAULT_GRACE_SECONDS),
});

const retry = z.strictObject({
  attempts: z.number().int().min(0).max(5).default(2).describe('retries after the first try, retryable errors only'),
  base_delay_ms: z.number().int().min(1).default(50),
  max_delay_ms: z.number().int().min(1).default(1000),
});

const breaker = z.strictObject({
  failure_threshold: z.number().int().min(1).default(5),
  cooldown_ms: z.number().int().min(100).default(10_000),
});

const mount = z.strictObject({
  adapter: z.string().min(1).describe('adapter kind, e.g. local, vault, aws-secrets-manager'),
  options: z.record(z.string(), z.unknown()).default({}).describe('validated by the adapter'),
  timeout_ms: z.number().int().min(10).max(120_000).default(5000),
  // Section defaults are derived from the fields' defaults (one source) and stay spelled out in the generated docs.
  retry: retry.default(retry.parse({})),
  breaker: breaker.default(breaker.parse({})),
});

const route = z.strictObject({
  cref: z.string().min(1).describe('template, e.g. cref://{tenant}/{name}; {x} matches one segment, {x*} the rest'),
  mount: z.string().min(1),
  path: z.string().min(1).describe('backend path template using the cref variables'),
  field: z.string().optional(),
  version: z.string().optional(),
  dynamic: z.boolean().default(false).describe('issue dynamic credentials instead of reading'),
  options: z.record(z.string(), z.unknown()).optional(),
  ...routeBindingShape,
  proxy: routeProxySchema.optional().describe('makes the route\'s crefs deliverable through the proxy (docs/proxy.md)'),
});

const leases = z.strictObject({
  sweep_interval_ms: z.number().int().min(50).max(60_000).default(1000),
  static_lease_seconds: z.number().int().min(1).max(7 * 24 * 3600).default(900).describe('lease length of a static secret before renewal (capped at the job end)'),
  revocation_stale_after_ms: z
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(DEFAULT_REVOCATION_STALE_AFTER_MS)
    .describe('a backend revocation claimed but not finished for this long is taken over by another replica'),
});

const plugin = z.strictObject({
  module: z.string().describe('path of an ES module exporting `adapter` (an AdapterFactory), in its own folder'),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .describe('pinned SHA-256 of crefgate-plugin.json beside the module, which pins every file of the folder (`crefgate plugin pin`)'),
});

export const configSchema = z.strictObject({
  gateway,
  state_dir: z.string().default('.').describe('base for relative paths in this file'),
  tokens,
  state: stateConfigSchema.default({ kind: 'memory' }),
  audit: auditConfigSchema,
  identities: z.array(identity).default([]),
  tenants: z.record(tenantId, tenant).default({}),
  executors: z.array(executor).default([]),
  mounts: z.record(z.string().regex(ID_PATTERN), mount),
  routes: z.array(route).default([]),
  plugins: z.array(plugin).default([]),
  oidc: oidcConfigSchema.default(oidcConfigSchema.parse({})).describe('workload OIDC token issuers (docs/identity.md)'),
  bootstrap: bootstrapConfigSchema.optional().describe('listener without client certificates: executor certificates and OIDC resolves'),
  leases: leases.default(leases.parse({})),
  ops: opsConfigSchema.default(OPS_DEFAULTS).describe('plain-HTTP listener for metrics and probes; graceful shutdown'),
  tracing: tracingConfigSchema.optional().describe('OpenTelemetry tracing; off when absent'),
  rate_limits: rateLimitsConfigSchema.prefault({}).describe('rate limits on resolve, issuance and backend mounts; none by default (docs/signals.md)'),
  signals: signalsConfigSchema.prefault({}).describe('anomaly signals, alerts and automatic response; off by default (docs/signals.md)'),
  proxy: proxySettingsSchema.default(PROXY_DEFAULTS).describe('proxy delivery: limits, timeouts, public URL (docs/proxy.md)'),
});

export type Config = z.infer<typeof configSchema>;
export type MountConfig = z.infer<typeof mount>;
export type RouteConfig = z.infer<typeof route>;
export type IdentityConfig = z.infer<typeof identity>;
export type ExecutorConfig = z.infer<typeof executor>;
