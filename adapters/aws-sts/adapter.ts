/**
 * The AWS STS adapter: dynamic, job-bound credentials through AssumeRole. STS sessions cannot be revoked one
 * by one, so the adapter has no `revoke` and marks every credential `revocable: false`; the lease records it,
 * and emergency revocation is an IAM deny on aws:TokenIssueTime (docs/adapters/aws.md).
 */
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  AdapterError,
  type AdapterContext,
  type DynamicSecret,
  type HealthReport,
  type IssueRequest,
  type SecretAdapter,
} from '../contract.ts';
import { awsClientConfig, type AwsClientConfig } from '../aws/client_config.ts';
import { mapAwsError } from '../aws/map_error.ts';
import { manifest } from './index.ts';
import type { StsOptions } from './options.ts';
import { assumeRoleParams } from './session_request.ts';

interface StsCredentials {
  AccessKeyId?: string | undefined;
  SecretAccessKey?: string | undefined;
  SessionToken?: string | undefined;
  Expiration?: Date | undefined;
}

/** The SDK calls this adapter makes, so a test double needs nothing more. */
export interface StsLike {
  send(command: AssumeRoleCommand, options: { abortSignal: AbortSignal }): Promise<{ Credentials?: StsCredentials | undefined }>;
  send(command: GetCallerIdentityCommand, options: { abortSignal: AbortSignal }): Promise<unknown>;
  destroy(): void;
}

export interface StsDeps {
  createClient(config: AwsClientConfig): StsLike;
  /** Clock for the granted lifetime; tests freeze it. */
  now?(): number;
}

const defaultDeps: StsDeps = { createClient: (config) => new STSClient(config) };

/** Builds an STS AssumeRole adapter for one mount. */
export function create(options: StsOptions, context: AdapterContext, deps: StsDeps = defaultDeps): SecretAdapter {
  const client = deps.createClient(awsClientConfig(options, context));
  const now = deps.now ?? Date.now;

  async function issue(request: IssueRequest): Promise<DynamicSecret> {
    const { signal } = request;
    try {
      signal.throwIfAborted();
      // Handing out one key of a credential set would be useless and silently ignoring `field` ambiguous.
      if (request.field !== undefined) throw new AdapterError('invalid_reference', 'sts credentials have no fields');
      const params = assumeRoleParams(request, options);
      const out = await client.send(new AssumeRoleCommand(params), { abortSignal: signal });
      const creds = out.Credentials;
      if (
        creds?.AccessKeyId === undefined ||
        creds.SecretAccessKey === undefined ||
        creds.SessionToken === undefined ||
        creds.Expiration === undefined
      ) {
        throw new AdapterError('integrity', 'AssumeRole answered without complete credentials');
      }
      const expiration = creds.Expiration.toISOString();
      // The granted lifetime is what STS says, never more than was asked; the gateway then caps its own
      // lease at the job end, which may be sooner than this (see sessionDuration).
      const remaining = Math.floor((creds.Expiration.getTime() - now()) / 1000);
      return {
        value: {
          access_key_id: creds.AccessKeyId,
          secret_access_key: creds.SecretAccessKey,
          session_token: creds.SessionToken,
          expiration,
        },
        leaseDuration: Math.max(1, Math.min(params.DurationSeconds, remaining)),
        renewable: false,
        revocable: false,
        handle: { role_arn: params.RoleArn, session_name: params.RoleSessionName, expiration },
      };
    } catch (err) {
      throw mapAwsError(err, 'AssumeRole', signal);
    }
  }

  // GetCallerIdentity needs no IAM permission: it proves the endpoint and the gateway's own credentials.
  async function health(signal: AbortSignal): Promise<HealthReport> {
    try {
      await client.send(new GetCallerIdentityCommand({}), { abortSignal: signal });
      return { ok: true, detail: 'caller identity verified' };
    } catch (err) {
      return { ok: false, detail: mapAwsError(err, 'GetCallerIdentity', signal).reason };
    }
  }

  return {
    kind: manifest.kind,
    async read() {
      throw new AdapterError('invalid_reference', 'sts mounts issue only');
    },
    issue,
    health,
    async close() {
      client.destroy();
    },
  };
}
