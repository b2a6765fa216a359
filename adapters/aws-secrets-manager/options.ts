/** Mount options of the `aws-secrets-manager` kind: the shared connection options and the health probe secret. */
import { z } from 'zod';
import { connectionShape } from '../aws/connection_options.ts';

export const secretsManagerOptionsSchema = z.strictObject({
  ...connectionShape,
  health_probe_secret_id: z
    .string()
    .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/)
    .default('crefgate/health-probe')
    .describe('secret read by health checks; "not found" and "access denied" still prove the endpoint and keys work'),
});

export type SecretsManagerOptions = z.infer<typeof secretsManagerOptionsSchema>;
