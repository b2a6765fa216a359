/** Config schema of the audit section (`audit:`). Owned by src/audit/. */
import { z } from 'zod';

const fileSink = z.strictObject({
  type: z.literal('file'),
  name: z.string().default('file'),
  required: z.boolean().default(true),
  path: z.string().describe('append-only log file'),
});

const stdoutSink = z.strictObject({
  type: z.literal('stdout'),
  name: z.string().default('stdout'),
  required: z.boolean().default(false),
});

export const auditSinkSchema = z.discriminatedUnion('type', [fileSink, stdoutSink]);

export const auditConfigSchema = z.strictObject({
  origin: z.string().regex(/^[A-Za-z0-9._:/-]{1,128}$/).optional().describe('log name, one per replica; default crefgate/<hostname>'),
  hmac_key_file: z.string().describe('secret from which per-tenant audit HMAC keys are derived'),
  signing_key_file: z.string().optional().describe('Ed25519 private key (PEM) for checkpoints'),
  sinks: z
    .array(auditSinkSchema)
    .min(1)
    .refine((sinks) => sinks.some((s) => s.required), 'at least one sink must be required (fail closed)')
    .refine((sinks) => new Set(sinks.map((s) => s.name)).size === sinks.length, 'sink names must be unique'),
  batch_ms: z.number().int().min(1).max(50).default(5).describe('group-commit window'),
  sink_timeout_ms: z.number().int().min(10).max(60_000).default(2000),
});

export type AuditConfig = z.infer<typeof auditConfigSchema>;
