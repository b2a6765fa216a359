/**
 * Builds the SDK client configuration shared by both AWS adapters. Without a `credentials` option the
 * `credentials` key is left out entirely, so the SDK resolves the gateway's identity through its default
 * provider chain (web identity / IRSA, ECS, instance profile…): no long-lived key lives in crefgate's config.
 */
import { GatewayError } from '../../src/errors.ts';
import type { AdapterContext } from '../contract.ts';
import type { ConnectionOptions } from './connection_options.ts';

/** The subset of SDK client config crefgate sets; both SDK clients accept it as is. */
export interface AwsClientConfig {
  region: string;
  endpoint?: string;
  maxAttempts: number;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

function fromEnv(name: string, context: AdapterContext): string {
  const value = process.env[name];
  // Fail at start-up rather than fall through to the default chain: a half-configured mount would
  // otherwise run silently under whatever identity the host happens to have.
  if (value === undefined || value === '') {
    throw new GatewayError('internal', { reason: `mount ${context.mount}: environment variable ${name} is not set` });
  }
  return value;
}

/** SDK client config for a mount: region, optional endpoint, attempts, and static keys only if configured. */
export function awsClientConfig(options: ConnectionOptions, context: AdapterContext): AwsClientConfig {
  const config: AwsClientConfig = { region: options.region, maxAttempts: options.max_attempts };
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  const keys = options.credentials;
  if (keys !== undefined) {
    config.credentials = {
      accessKeyId: fromEnv(keys.access_key_id_env, context),
      secretAccessKey: fromEnv(keys.secret_access_key_env, context),
    };
    if (keys.session_token_env !== undefined) config.credentials.sessionToken = fromEnv(keys.session_token_env, context);
  }
  return config;
}
