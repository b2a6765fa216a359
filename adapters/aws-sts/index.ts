/**
 * The `aws-sts` adapter kind: job-bound AssumeRole credentials (adapter.ts), issue only and not revocable one
 * by one. It shares the AWS SDK plumbing (client config, error map, connection options) with
 * `aws-secrets-manager` in adapters/aws/. Options and the revocation story are in docs/adapters/aws.md.
 */
import { defineAdapter } from '../kit/manifest.ts';
import { stsOptionsSchema } from './options.ts';

export const manifest = defineAdapter({
  kind: 'aws-sts',
  optionsSchema: stsOptionsSchema,
  load: () => import('./adapter.ts'),
});

export type { StsOptions, StsRouteOptions } from './options.ts';
