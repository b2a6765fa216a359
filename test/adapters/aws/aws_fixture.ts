/**
 * Shared set-up of the AWS adapter tests: static test keys in env vars (the `credentials` option names the
 * vars), and helpers to build either adapter against an emulator with the real SDK client.
 */
import { create as createSecretsManager } from '../../../adapters/aws-secrets-manager/adapter.ts';
import { manifest as secretsManagerManifest } from '../../../adapters/aws-secrets-manager/index.ts';
import { create as createSts } from '../../../adapters/aws-sts/adapter.ts';
import { manifest as stsManifest } from '../../../adapters/aws-sts/index.ts';
import type { AdapterContext, SecretAdapter } from '../../../adapters/contract.ts';

export const TEST_ACCESS_KEY_ID = 'AKIACREFGATETEST0001';
export const KEY_ENV = { access_key_id_env: 'CREFGATE_TEST_AWS_KEY_ID', secret_access_key_env: 'CREFGATE_TEST_AWS_SECRET' };
process.env.CREFGATE_TEST_AWS_KEY_ID = TEST_ACCESS_KEY_ID;
process.env.CREFGATE_TEST_AWS_SECRET = 'test-secret-key-not-a-real-one';

export const context: AdapterContext = { mount: 'aws-test', stateDir: '/nonexistent', configDir: '/nonexistent' };

/** A Secrets Manager adapter on `endpoint`, options parsed through the real schema. */
export async function secretsManagerOn(endpoint: string, extra: Record<string, unknown> = {}): Promise<SecretAdapter> {
  const options = secretsManagerManifest.optionsSchema.parse({ region: 'eu-west-1', endpoint, credentials: KEY_ENV, ...extra });
  return createSecretsManager(options, context);
}

/** An STS adapter on `endpoint`, options parsed through the real schema. */
export async function stsOn(endpoint: string, extra: Record<string, unknown> = {}): Promise<SecretAdapter> {
  const options = stsManifest.optionsSchema.parse({ region: 'eu-west-1', endpoint, credentials: KEY_ENV, ...extra });
  return createSts(options, context);
}

export { signal } from '../../helpers/kit.ts';

/** Awaits a rejection and checks it is an AdapterError of `kind` at step `backend`. */
export { rejectsKind } from '../../helpers/adapter_errors.ts';
