/**
 * Mount options of the AWS adapters, validated once at start-up. Both kinds share the connection options;
 * STS adds the role lookup, the session ceiling and the default session policy.
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

/**
 * A session policy document as IAM reads it. Kept loose (IAM owns the grammar) but it must at least carry
 * statements; its 2048-character packed limit is checked when it is serialised.
 */
export const sessionPolicy = z
  .record(z.string(), z.unknown())
  .refine((doc) => doc.Statement !== undefined, { message: 'a policy document with a Statement' });

export const secretsManagerOptionsSchema = z.strictObject({
  ...connectionShape,
  health_probe_secret_id: z
    .string()
    .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/)
    .default('crefgate/health-probe')
    .describe('secret read by health checks; "not found" and "access denied" still prove the endpoint and keys work'),
});

export type SecretsManagerOptions = z.infer<typeof secretsManagerOptionsSchema>;

export const stsOptionsSchema = z.strictObject({
  ...connectionShape,
  account_id: z
    .string()
    .regex(/^\d{12}$/)
    .optional()
    .describe('account of roles named by bare role name in route paths'),
  partition: z.enum(['aws', 'aws-cn', 'aws-us-gov']).default('aws').describe('ARN partition for bare role names'),
  max_session_seconds: z
    .number()
    .int()
    .min(900)
    .max(43_200)
    .default(3600)
    .describe("the roles' MaxSessionDuration; keep ≤ 3600 when the gateway itself runs on a role session (role chaining)"),
  session_policy: sessionPolicy.optional().describe('default inline session policy; a route may replace it with its own'),
  external_id: z
    .string()
    .regex(/^[\w+=,.@:/-]{2,1224}$/)
    .optional()
    .describe('ExternalId the target roles require (cross-account trust)'),
});

export type StsOptions = z.infer<typeof stsOptionsSchema>;

/** Route-level options of an STS route (`routes[].options`). */
export const stsRouteOptionsSchema = z.strictObject({
  session_policy: sessionPolicy.optional().describe('inline session policy for this route; replaces the mount default'),
});

export type StsRouteOptions = z.infer<typeof stsRouteOptionsSchema>;
