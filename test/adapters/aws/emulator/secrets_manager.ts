/**
 * A wire-level Secrets Manager emulator: `POST /` with `x-amz-target: secretsmanager.GetSecretValue` in the
 * AWS JSON 1.1 protocol (WIRE-FACTS.md). Secrets are seeded with versions and staging labels; faults are
 * injected per emulator or per secret name; unsigned requests get the real error shape.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { checkSigV4, isProblem, type SignedBy } from './sigv4.ts';
import { AwsServiceEmulator, type Reply } from './http_server.ts';

export const ACCOUNT_ID = '123456789012';
const JSON_11 = 'application/x-amz-json-1.1';

export type SecretsManagerFault = 'access_denied' | 'throttled' | 'internal' | 'decryption_failure' | 'hang';

interface Version {
  versionId: string;
  value: string | Uint8Array;
  stages: Set<string>;
  createdDate: number;
}

interface Secret {
  name: string;
  arn: string;
  versions: Version[];
}

export interface SeedOptions {
  versionId?: string;
  /** Default: the new version becomes AWSCURRENT and the previous AWSCURRENT becomes AWSPREVIOUS. */
  stages?: string[];
}

export class SecretsManagerEmulator extends AwsServiceEmulator {
  /** Every signed request, in order: tests assert which keys and region signed it. */
  readonly signedBy: SignedBy[] = [];
  readonly requests: Record<string, unknown>[] = [];
  fault: SecretsManagerFault | null = null;
  readonly faultsByName = new Map<string, SecretsManagerFault>();
  private readonly secrets = new Map<string, Secret>();

  /** Adds a version of a secret (PutSecretValue semantics); returns its ARN. */
  seed(name: string, value: string | Uint8Array, options: SeedOptions = {}): string {
    let secret = this.secrets.get(name);
    if (secret === undefined) {
      secret = { name, arn: `arn:aws:secretsmanager:${this.region}:${ACCOUNT_ID}:secret:${name}-AbC123`, versions: [] };
      this.secrets.set(name, secret);
    }
    const stages = new Set(options.stages ?? ['AWSCURRENT']);
    if (stages.has('AWSCURRENT')) {
      for (const v of secret.versions) v.stages.delete('AWSPREVIOUS');
      for (const v of secret.versions) {
        if (v.stages.delete('AWSCURRENT')) v.stages.add('AWSPREVIOUS');
      }
    }
    for (const v of secret.versions) for (const s of stages) if (s !== 'AWSCURRENT') v.stages.delete(s);
    secret.versions.push({ versionId: options.versionId ?? randomUUID(), value, stages, createdDate: Date.now() / 1000 });
    return secret.arn;
  }

  private find(secretId: string): Secret | undefined {
    if (!secretId.startsWith('arn:')) return this.secrets.get(secretId);
    return [...this.secrets.values()].find((s) => s.arn === secretId);
  }

  protected handle(req: IncomingMessage, body: string): Reply | undefined {
    const signed = checkSigV4(req.headers, 'secretsmanager', this.region);
    if (isProblem(signed)) {
      // JSON protocols answer 400 with the "…Exception" spelling for missing or broken signatures.
      const type = signed.code === 'SignatureDoesNotMatch' ? 'InvalidSignatureException' : `${signed.code}Exception`;
      return error(signed.code === 'MissingAuthenticationToken' ? 400 : signed.status, type, signed.message);
    }
    this.signedBy.push(signed);
    if (req.method !== 'POST' || req.url !== '/' || req.headers['content-type'] !== JSON_11) {
      return error(400, 'SerializationException', 'expected POST / with application/x-amz-json-1.1');
    }
    if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
      return error(400, 'UnknownOperationException', 'only GetSecretValue is emulated');
    }
    const input = JSON.parse(body) as { SecretId?: unknown; VersionId?: unknown; VersionStage?: unknown };
    this.requests.push(input as Record<string, unknown>);
    const secretId = typeof input.SecretId === 'string' ? input.SecretId : '';
    const fault = this.fault ?? this.faultsByName.get(secretId) ?? null;
    if (fault !== null) return faultReply(fault, secretId);
    return this.getSecretValue(secretId, input.VersionId, input.VersionStage);
  }

  private getSecretValue(secretId: string, versionId: unknown, versionStage: unknown): Reply {
    const secret = this.find(secretId);
    if (secret === undefined) return error(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const stage = typeof versionStage === 'string' ? versionStage : versionId === undefined ? 'AWSCURRENT' : undefined;
    const version = secret.versions.find(
      (v) => (versionId === undefined || v.versionId === versionId) && (stage === undefined || v.stages.has(stage)),
    );
    if (version === undefined) {
      return error(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret value for the version.");
    }
    const out: Record<string, unknown> = {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      VersionStages: [...version.stages],
      CreatedDate: version.createdDate,
    };
    if (typeof version.value === 'string') out.SecretString = version.value;
    else out.SecretBinary = Buffer.from(version.value).toString('base64');
    return { status: 200, headers: { 'content-type': JSON_11, 'x-amzn-requestid': randomUUID() }, body: JSON.stringify(out) };
  }
}

function error(status: number, type: string, message: string): Reply {
  return {
    status,
    headers: { 'content-type': JSON_11, 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify({ __type: type, message }),
  };
}

function faultReply(fault: SecretsManagerFault, secretId: string): Reply | undefined {
  switch (fault) {
    case 'access_denied':
      return error(400, 'AccessDeniedException', `User is not authorized to perform: secretsmanager:GetSecretValue on ${secretId}`);
    case 'throttled':
      return error(400, 'ThrottlingException', 'Rate exceeded');
    case 'internal':
      return error(500, 'InternalServiceError', 'An error occurred on the server side.');
    case 'decryption_failure':
      return error(400, 'DecryptionFailure', "Secrets Manager can't decrypt the protected secret text using the provided KMS key.");
    case 'hang':
      return undefined;
  }
}
