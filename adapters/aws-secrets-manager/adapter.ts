/**
 * The AWS Secrets Manager adapter: static secrets through GetSecretValue. The SDK client comes from an
 * injectable factory so tests (and embedders) can point it anywhere; it is created once per mount.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  AdapterError,
  type AdapterContext,
  type HealthReport,
  type ReadRequest,
  type SecretAdapter,
  type StaticSecret,
} from '../contract.ts';
import { awsClientConfig, type AwsClientConfig } from '../aws/client_config.ts';
import { mapAwsError } from '../aws/map_error.ts';
import { probeHealth } from '../kit/health_probe.ts';
import { selectJsonField } from '../kit/select_field.ts';
import { manifest } from './index.ts';
import type { SecretsManagerOptions } from './options.ts';
import { secretLookup } from './secret_reference.ts';

/** The one SDK call this adapter makes, so a test double needs nothing more. */
export interface SecretsManagerLike {
  send(command: GetSecretValueCommand, options: { abortSignal: AbortSignal }): Promise<{
    SecretString?: string | undefined;
    SecretBinary?: Uint8Array | undefined;
    VersionId?: string | undefined;
  }>;
  destroy(): void;
}

export interface SecretsManagerDeps {
  createClient(config: AwsClientConfig): SecretsManagerLike;
}

const defaultDeps: SecretsManagerDeps = { createClient: (config) => new SecretsManagerClient(config) };

/** Builds a Secrets Manager adapter for one mount. */
export function create(
  options: SecretsManagerOptions,
  context: AdapterContext,
  deps: SecretsManagerDeps = defaultDeps,
): SecretAdapter {
  const client = deps.createClient(awsClientConfig(options, context));

  async function read(request: ReadRequest): Promise<StaticSecret> {
    const { signal } = request;
    try {
      signal.throwIfAborted();
      const lookup = secretLookup(request.path, request.version, options.region);
      const out = await client.send(new GetSecretValueCommand(lookup), { abortSignal: signal });
      if (out.SecretString !== undefined) {
        const value = request.field === undefined ? out.SecretString : selectJsonField(out.SecretString, request.field);
        return { value, encoding: 'utf8', version: out.VersionId };
      }
      if (out.SecretBinary !== undefined) {
        if (request.field !== undefined) throw new AdapterError('not_found', 'field requested but the secret is binary');
        return { value: Buffer.from(out.SecretBinary).toString('base64'), encoding: 'base64', version: out.VersionId };
      }
      throw new AdapterError('integrity', 'GetSecretValue answered with neither SecretString nor SecretBinary');
    } catch (err) {
      throw mapAwsError(err, 'GetSecretValue', signal);
    }
  }

  // Probing a fixed secret id proves reachability and that AWS accepts the gateway's signature without
  // needing secretsmanager:ListSecrets; "not found" and "access denied" both come after authentication.
  function health(signal: AbortSignal): Promise<HealthReport> {
    return probeHealth(() => read({ path: options.health_probe_secret_id, signal }), {
      okDetail: 'probe secret readable',
      answered: (err) => {
        const kind = err instanceof AdapterError ? err.kind : 'unavailable';
        return kind === 'not_found' || kind === 'permission_denied' ? `endpoint reachable (probe: ${kind})` : undefined;
      },
      failure: (err) => (err instanceof AdapterError ? err.reason : 'health probe failed'),
    });
  }

  return {
    kind: manifest.kind,
    read,
    health,
    async close() {
      client.destroy();
    },
  };
}
