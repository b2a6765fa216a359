/**
 * The AWS adapter kinds, as registered in adapters/builtin.ts: `aws-secrets-manager` (static secrets) and
 * `aws-sts` (job-bound AssumeRole credentials). Options, reference syntax and the revocation story are in
 * docs/adapters/aws.md.
 */
import type { AdapterFactory } from '../contract.ts';
import { secretsManagerOptionsSchema, stsOptionsSchema, type SecretsManagerOptions, type StsOptions } from './options.ts';
import { createSecretsManagerAdapter } from './secrets_manager.ts';
import { createStsAdapter } from './sts.ts';

export const awsSecretsManagerAdapter = {
  kind: 'aws-secrets-manager',
  optionsSchema: secretsManagerOptionsSchema,
  create: (options, context) => createSecretsManagerAdapter(options, context),
} satisfies AdapterFactory<SecretsManagerOptions>;

export const awsStsAdapter = {
  kind: 'aws-sts',
  optionsSchema: stsOptionsSchema,
  create: (options, context) => createStsAdapter(options, context),
} satisfies AdapterFactory<StsOptions>;

export { createSecretsManagerAdapter, type SecretsManagerDeps } from './secrets_manager.ts';
export { createStsAdapter, type StsDeps } from './sts.ts';
export { stsRouteOptionsSchema, type SecretsManagerOptions, type StsOptions, type StsRouteOptions } from './options.ts';
export type { AwsClientConfig } from './client_config.ts';
