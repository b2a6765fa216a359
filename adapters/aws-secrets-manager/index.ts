/**
 * The `aws-secrets-manager` adapter kind: static secrets through GetSecretValue (adapter.ts). It shares the
 * AWS SDK plumbing (client config, error map, connection options) with `aws-sts` in adapters/aws/. Options,
 * reference syntax and health are in docs/adapters/aws.md.
 */
import { defineAdapter } from '../kit/manifest.ts';
import { secretsManagerOptionsSchema } from './options.ts';

export const manifest = defineAdapter({
  kind: 'aws-secrets-manager',
  optionsSchema: secretsManagerOptionsSchema,
  load: () => import('./adapter.ts'),
});

export type { SecretsManagerOptions } from './options.ts';
