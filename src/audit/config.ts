/** Config schema of the audit section (`audit:`). Owned by src/audit/. */
import { z } from 'zod';
import { parseCosignerKey } from './log/cosignature.ts';

const fileSink = z.strictObject({
  type: z.literal('file'),
  name: z.string().default('file'),
  required: z.boolean().default(true),
  path: z.string().describe('append-only log file'),
  rotate_bytes: z.number().int().min(4096).optional().describe('rotate the file once it reaches this size'),
  rotate_seconds: z.number().int().min(1).optional().describe('rotate the file once its first event is this old'),
});

const stdoutSink = z.strictObject({
  type: z.literal('stdout'),
  name: z.string().default('stdout'),
  required: z.boolean().default(false),
});

const httpSink = z.strictObject({
  type: z.literal('http'),
  name: z.string().default('http'),
  required: z.boolean().default(false).describe('required means durable in the local spool, not yet delivered'),
  url: z.url().describe('collector endpoint, e.g. https://splunk:8088/services/collector/event'),
  format: z.enum(['hec', 'ndjson']).default('hec').describe('hec: Splunk HEC event envelopes; ndjson: the raw lines'),
  token_file: z.string().optional().describe('file holding the bearer / Splunk HEC token'),
  spool_dir: z.string().describe('disk spool that keeps every line until the collector acknowledged it'),
  max_batch_events: z.number().int().min(1).max(10_000).default(500),
  timeout_ms: z.number().int().min(100).default(5000),
  max_backoff_ms: z.number().int().min(100).default(30_000),
});

const redisSink = z.strictObject({
  type: z.literal('redis'),
  name: z.string().default('redis'),
  required: z.boolean().default(false),
  url: z.string().optional().describe('redis:// URL; default: the client passed in by the gateway'),
  stream: z.string().optional().describe('stream key; default crefgate:audit:<origin>'),
});

export const auditSinkSchema = z.discriminatedUnion('type', [fileSink, stdoutSink, httpSink, redisSink]);

const isoTime = z.iso.datetime({ offset: true });

const checkpointKey = z.strictObject({
  file: z.string().describe('Ed25519 private key (PKCS#8 PEM)'),
  not_before: isoTime.optional().describe('first instant the key may sign'),
  not_after: isoTime.optional().describe('last instant the key may sign; its public key stays published after'),
});

const witness = z.strictObject({
  url: z.url().describe('submission prefix of a C2SP tlog-witness; checkpoints are POSTed to <url>/add-checkpoint'),
  key: z
    .string()
    .refine((k) => {
      try {
        parseCosignerKey(k);
        return true;
      } catch {
        return false;
      }
    }, 'not a witness verifier key (name+id+base64, type 0x04): see `crefgate witness vkey`')
    .describe("the witness's verifier key; its cosignatures are checked before they are stored"),
  timeout_ms: z.number().int().min(100).max(60_000).default(2000).describe('time limit of one request'),
  attempts: z.number().int().min(1).max(10).default(3).describe('tries per checkpoint (with backoff) before an alert is raised'),
});

export const auditConfigSchema = z.strictObject({
  origin: z.string().regex(/^[A-Za-z0-9._:/-]{1,128}$/).optional().describe('log name, one per replica; default crefgate/<hostname>'),
  hmac_key_file: z.string().describe('secret from which per-tenant audit HMAC keys are derived'),
  signing_key_file: z.string().optional().describe('Ed25519 private key (PEM) for checkpoints'),
  signing_keys: z.array(checkpointKey).default([]).describe('checkpoint keys with validity windows, for rotation'),
  sinks: z
    .array(auditSinkSchema)
    .min(1)
    .refine((sinks) => sinks.some((s) => s.required), 'at least one sink must be required (fail closed)')
    .refine((sinks) => new Set(sinks.map((s) => s.name)).size === sinks.length, 'sink names must be unique'),
  batch_ms: z
    .number()
    .int()
    .min(0)
    .max(50)
    .default(0)
    .describe('group-commit window when idle; 0 cuts the batch at the next turn of the event loop (events arriving during a write always form the next batch)'),
  sink_timeout_ms: z.number().int().min(10).max(60_000).default(2000),
  checkpoint_interval_ms: z.number().int().min(1000).default(1000).describe('at most one checkpoint per interval under load'),
  checkpoint_heartbeat_s: z.number().int().min(1).max(3600).default(30).describe('checkpoint this often when idle'),
  witnesses: z
    .array(witness)
    .max(16)
    .default([])
    .describe('off-host witnesses that cosign each checkpoint (needs a checkpoint key and a file sink); never blocks a request'),
});

export type AuditConfig = z.infer<typeof auditConfigSchema>;
export type AuditSinkConfig = z.infer<typeof auditSinkSchema>;
