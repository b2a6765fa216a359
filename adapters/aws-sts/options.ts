/**
 * Mount and route options of the `aws-sts` kind: the shared connection options, the role lookup, the session
 * ceiling and the default session policy.
 */
import { z } from 'zod';
import { connectionShape } from '../aws/connection_options.ts';

/**
 * A session policy document as IAM reads it. Kept loose (IAM owns the grammar) but it must at least carry
 * statements; its 2048-character packed limit is checked when it is serialised.
 */
export const sessionPolicy = z
  .record(z.string(), z.unknown())
  .refine((doc) => doc.Statement !== undefined, { message: 'a policy document with a Statement' });

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
