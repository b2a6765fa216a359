/**
 * The connection options both AWS kinds share (region, endpoint, static test keys, SDK attempts). Each kind's
 * options.ts spreads `connectionShape` into its own schema.
 */
import { z } from 'zod';

/** Env var names (never the keys themselves): config files must not hold AWS secrets. */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'an environment variable name');

const staticCredentials = z
  .strictObject({
    access_key_id_env: envName,
    secret_access_key_env: envName,
    session_token_env: envName.optional(),
  })
  .describe('tests only: read static keys from these env vars; production leaves this out and uses the SDK default chain');

export const connectionShape = {
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'an AWS region such as eu-west-1').describe('region of this mount'),
  endpoint: z.url({ protocol: /^https?$/ }).optional().describe('endpoint override (emulators, VPC/private endpoints)'),
  credentials: staticCredentials.optional(),
  max_attempts: z
    .number()
    .int()
    .min(1)
    .max(5)
    .default(1)
    .describe('SDK attempts per call; 1 because the resilience layer already retries'),
};

/** The connection options as parsed, what the client config needs. */
export type ConnectionOptions = z.infer<z.ZodObject<typeof connectionShape>>;
