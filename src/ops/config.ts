/** Config schema of the `ops:` and `tracing:` sections. Owned by src/ops/. */
import { z } from 'zod';

export const opsConfigSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('serve the ops listener: /metrics, /v1/sys/health, /v1/sys/ready, /v1/openapi.json'),
  host: z.string().default('127.0.0.1').describe('ops listener address; plain HTTP without client certificates, so keep it on a private interface'),
  port: z.number().int().min(0).max(65535).default(9464).describe('ops listener port (0: any free port)'),
  drain_timeout_ms: z
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(25_000)
    .describe('on shutdown, how long in-flight requests may take before their connections are cut (keep below the orchestrator grace period)'),
});

export const tracingConfigSchema = z.strictObject({
  otlp_endpoint: z.url().optional().describe('OTLP/HTTP traces endpoint, e.g. http://otel-collector:4318/v1/traces; tracing is off without it'),
  service_name: z.string().min(1).default('crefgate').describe('`service.name` resource attribute'),
  sample_ratio: z.number().min(0).max(1).default(1).describe('fraction of traces recorded'),
});

/** The sections' defaults, derived from their fields' own `.default(...)` so each value is written once. */
export const OPS_DEFAULTS = opsConfigSchema.parse({});
export const TRACING_DEFAULTS = tracingConfigSchema.parse({});

export type OpsConfig = z.infer<typeof opsConfigSchema>;
export type TracingConfig = z.infer<typeof tracingConfigSchema>;
