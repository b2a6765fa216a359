/** Config schema of the `signals:` section (anomaly detection, alerts, automatic response). Owned by src/signals/. */
import { z } from 'zod';

const on = z.boolean().default(true);

export const signalsConfigSchema = z.strictObject({
  enabled: z.boolean().default(false).describe('watch audit events for anomalies and raise alerts (docs/signals.md)'),
  denial_burst: z
    .strictObject({
      enabled: on,
      threshold: z.number().int().min(1).default(20).describe('denials within the window that make a burst'),
      window_seconds: z.number().int().min(1).max(86_400).default(60),
    })
    .prefault({})
    .describe('probing: bursts of denials per executor, tenant or source address'),
  replay: z.strictObject({ enabled: on }).prefault({}).describe('every presentation refused as a replay'),
  new_cref: z
    .strictObject({
      enabled: on,
      remember_days: z.number().int().min(1).max(365).default(30).describe('how long a read cref counts as known'),
    })
    .prefault({})
    .describe('an executor with a history reads a cref it never read before'),
  new_network: z
    .strictObject({
      enabled: on,
      ipv4_prefix: z.number().int().min(8).max(32).default(24),
      ipv6_prefix: z.number().int().min(16).max(128).default(64),
      remember_days: z.number().int().min(1).max(365).default(30),
    })
    .prefault({})
    .describe('an executor with a history presents from a source network it never used'),
  rate_spike: z
    .strictObject({
      enabled: on,
      window_seconds: z.number().int().min(1).max(86_400).default(300),
      baseline_windows: z.number().int().min(1).max(100).default(12).describe('earlier windows averaged into the baseline'),
      factor: z.number().min(1).default(5).describe('a window above factor × baseline is a spike'),
      min_count: z.number().int().min(1).default(50).describe('never a spike below this many events in the window'),
    })
    .prefault({})
    .describe('issuance or resolves for an executor far above its recent baseline'),
  renewal_cap: z
    .strictObject({
      enabled: on,
      threshold: z.number().int().min(1).default(5).describe('renewals cut at (or refused past) the job end within the window'),
      window_seconds: z.number().int().min(1).max(86_400).default(3600),
    })
    .prefault({})
    .describe('an executor repeatedly renewing into the job end'),
  revocation_failures: z
    .strictObject({
      enabled: on,
      threshold: z.number().int().min(1).default(10),
      window_seconds: z.number().int().min(1).max(86_400).default(600),
    })
    .prefault({})
    .describe('backend revocations failing per mount'),
  auto_disable: z
    .strictObject({
      after_replays: z.number().int().min(1).optional().describe('disable an executor after this many replay attempts within a day'),
      on_denial_burst: z.boolean().default(false).describe('disable an executor whose denials make a burst'),
    })
    .prefault({})
    .describe('automatic response: disabled executors are enabled again only by an admin'),
  webhook: z
    .strictObject({
      url: z.url().describe('alerts are POSTed here as JSON'),
      timeout_ms: z.number().int().min(100).max(60_000).default(3000),
      attempts: z.number().int().min(1).max(10).default(3).describe('bounded retries with backoff; then the alert is dropped (it is in the audit log)'),
      queue_limit: z.number().int().min(1).max(100_000).default(1000),
    })
    .optional()
    .describe('optional webhook for alerts; never blocks a request'),
  queue_limit: z.number().int().min(1).max(1_000_000).default(10_000).describe('events waiting for the detector; past it events are skipped and counted'),
});

export type SignalsConfig = z.infer<typeof signalsConfigSchema>;
