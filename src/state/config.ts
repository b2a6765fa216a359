/** Config schema of the state store section (`state:`). Redis details are owned by src/state/redis/. */
import { z } from 'zod';

const redisTls = z.strictObject({
  ca_file: z.string().optional().describe('PEM CA bundle to verify the Redis server'),
  cert_file: z.string().optional().describe('client certificate for Redis mTLS'),
  key_file: z.string().optional(),
  servername: z.string().optional(),
});

const masterKey = z
  .strictObject({
    key_id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).describe('id stored with each ciphertext, for rotation'),
    file: z.string().optional().describe('file holding 32 random bytes, base64'),
    env: z.string().optional().describe('environment variable holding 32 random bytes, base64'),
  })
  .refine((k) => (k.file === undefined) !== (k.env === undefined), { message: 'exactly one of file or env' });

export const redisConfigSchema = z.strictObject({
  url: z.string().optional().describe('redis:// or rediss:// URL of a standalone server (or env REDIS_URL)'),
  sentinel: z
    .strictObject({
      name: z.string(),
      sentinels: z.array(z.strictObject({ host: z.string(), port: z.number().int().min(1).max(65535) })).min(1),
    })
    .optional(),
  cluster: z.strictObject({ nodes: z.array(z.strictObject({ host: z.string(), port: z.number().int() })).min(1) }).optional(),
  password_env: z.string().optional().describe('environment variable holding the Redis password'),
  username: z.string().optional(),
  tls: redisTls.optional(),
  key_prefix: z.string().regex(/^[A-Za-z0-9:_-]{1,64}$/).default('crefgate:'),
  command_timeout_ms: z.number().int().min(10).max(60_000).default(500),
  connect_timeout_ms: z.number().int().min(10).max(60_000).default(2000),
  master_keys: z.array(masterKey).min(1).describe('first is current; older ones decrypt only'),
  // High availability (owned by src/state/redis/durability.ts and epoch.ts; docs/state.md "Topologies").
  min_replicas_acked: z.number().int().min(0).max(16).optional()
    .describe('replicas that must acknowledge (WAIT) each state change that guards a secret before it counts; 0 (default): none'),
  replica_ack_timeout_ms: z.number().int().min(1).max(10_000).optional()
    .describe('how long a change waits for those acknowledgements before failing closed (default 200)'),
  epoch_check_interval_ms: z.number().int().min(100).max(60_000).optional()
    .describe('how often the store epoch (wipe/rollback detection) is checked in the background (default 1000)'),
  epoch_loss_hold_ms: z.number().int().min(0).max(600_000).optional()
    .describe('after a lost store epoch, how long the store stays unavailable before re-seeding and adopting a new epoch (default 3000)'),
});

export const stateConfigSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('memory') }),
  z.strictObject({ kind: z.literal('redis'), redis: redisConfigSchema }),
]);

export type StateConfig = z.infer<typeof stateConfigSchema>;
export type RedisConfig = z.infer<typeof redisConfigSchema>;
