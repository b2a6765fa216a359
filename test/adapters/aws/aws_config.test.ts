/**
 * How the AWS adapters get their own identity and connection: options validation, the SDK default provider
 * chain when no static keys are configured, SigV4 as the emulators see it, and the error mapping table.
 */
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/errors.ts';
import { AdapterError } from '../../../adapters/contract.ts';
import type { AwsClientConfig } from '../../../adapters/aws/client_config.ts';
import { create as createSecretsManager } from '../../../adapters/aws-secrets-manager/adapter.ts';
import { manifest as secretsManagerManifest } from '../../../adapters/aws-secrets-manager/index.ts';
import { create as createSts } from '../../../adapters/aws-sts/adapter.ts';
import { manifest as stsManifest } from '../../../adapters/aws-sts/index.ts';
import { mapAwsError } from '../../../adapters/aws/map_error.ts';
import { SecretsManagerEmulator } from './emulator/secrets_manager.ts';
import { StsEmulator } from './emulator/sts.ts';
import { context, KEY_ENV, rejectsKind, secretsManagerOn, signal } from './aws_fixture.ts';

describe('aws adapters: options and identity', () => {
  it('validates options strictly, with max_attempts 1 and no credentials by default', () => {
    const parsed = secretsManagerManifest.optionsSchema.parse({ region: 'eu-west-1' });
    assert.equal(parsed.max_attempts, 1);
    assert.equal(parsed.credentials, undefined);
    const bad = [
      {},
      { region: 'Europe' },
      { region: 'eu-west-1', endpoint: 'ftp://127.0.0.1' },
      { region: 'eu-west-1', access_key_id: 'AKIA…' },
      { region: 'eu-west-1', credentials: { access_key_id_env: 'A', secret_access_key_env: 'B', secret: 'x' } },
    ];
    for (const options of bad) assert.equal(secretsManagerManifest.optionsSchema.safeParse(options).success, false, JSON.stringify(options));
    const sts = stsManifest.optionsSchema.parse({ region: 'us-gov-west-1' });
    assert.equal(sts.max_session_seconds, 3600);
    assert.equal(sts.partition, 'aws');
    for (const options of [{ max_session_seconds: 600 }, { max_session_seconds: 50_000 }, { session_policy: { Version: '2012-10-17' } }]) {
      assert.equal(stsManifest.optionsSchema.safeParse({ region: 'eu-west-1', ...options }).success, false, JSON.stringify(options));
    }
  });

  it('hands the SDK no credentials without a credentials option, so its default chain applies', () => {
    const seen: AwsClientConfig[] = [];
    const createClient = (config: AwsClientConfig) => {
      seen.push(config);
      return { send: async () => ({}), destroy: () => {} };
    };
    const options = secretsManagerManifest.optionsSchema.parse({ region: 'eu-west-1', max_attempts: 3 });
    createSecretsManager(options, context, { createClient });
    assert.deepEqual(seen, [{ region: 'eu-west-1', maxAttempts: 3 }]);
    assert.ok(!('credentials' in seen[0]!));
  });

  it('signs with the default chain (here: AWS_* env vars) when no credentials option is set', async () => {
    const saved = { ...process.env };
    const emulator = new SecretsManagerEmulator();
    const endpoint = await emulator.start();
    try {
      process.env.AWS_ACCESS_KEY_ID = 'AKIADEFAULTCHAIN0001';
      process.env.AWS_SECRET_ACCESS_KEY = 'default-chain-secret';
      process.env.AWS_SESSION_TOKEN = 'default-chain-session-token';
      emulator.seed('chain', 'v');
      const options = secretsManagerManifest.optionsSchema.parse({ region: 'eu-west-1', endpoint });
      const adapter = await createSecretsManager(options, context);
      assert.equal((await adapter.read({ path: 'chain', signal: signal() })).value, 'v');
      assert.equal(emulator.signedBy.at(-1)?.accessKeyId, 'AKIADEFAULTCHAIN0001');
      assert.equal(emulator.signedBy.at(-1)?.sessionToken, 'default-chain-session-token');
      await adapter.close();
    } finally {
      for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
      await emulator.close();
    }
  });

  it('refuses to start a mount whose credential env vars are unset, naming the var only', () => {
    const options = stsManifest.optionsSchema.parse({
      region: 'eu-west-1',
      credentials: { ...KEY_ENV, session_token_env: 'CREFGATE_TEST_AWS_UNSET_TOKEN' },
    });
    assert.throws(
      () => createSts(options, context),
      (err: unknown) => err instanceof GatewayError && /CREFGATE_TEST_AWS_UNSET_TOKEN is not set/.test(err.reason),
    );
  });

  it('maps a signature scoped to the wrong region to unavailable (the gateway, not the executor, is wrong)', async () => {
    const emulator = new SecretsManagerEmulator('eu-west-1');
    const adapter = await secretsManagerOn(await emulator.start(), { region: 'us-east-1' });
    const err = await rejectsKind(adapter.read({ path: 'x', signal: signal() }), 'unavailable');
    assert.match(err.reason, /gateway's own credentials \(InvalidSignatureException\)/);
    await adapter.close();
    await emulator.close();
  });
});

describe('aws emulators: unsigned requests', () => {
  it('Secrets Manager answers 400 MissingAuthenticationTokenException in JSON 1.1', async () => {
    const emulator = new SecretsManagerEmulator();
    const endpoint = await emulator.start();
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
      body: JSON.stringify({ SecretId: 'x' }),
    });
    assert.equal(res.status, 400);
    // `__type` is the wire name of the JSON 1.1 error code.
    assert.equal(((await res.json()) as Record<string, unknown>)['__type'], 'MissingAuthenticationTokenException');
    await emulator.close();
  });

  it('STS answers 403 with an XML ErrorResponse MissingAuthenticationToken', async () => {
    const emulator = new StsEmulator();
    const endpoint = await emulator.start();
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s1',
    });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code>/);
    assert.equal(emulator.assumeRoleCalls.length, 0);
    await emulator.close();
  });
});

describe('aws error mapping', () => {
  const live = new AbortController().signal;
  const sdkError = (name: string, status: number, fault = 'client') =>
    Object.assign(new Error(`backend says: ${name}`), { name, $fault: fault, $metadata: { httpStatusCode: status } });

  it('maps AWS codes to adapter kinds', () => {
    const table: [string, number, AdapterError['kind']][] = [
      ['ResourceNotFoundException', 400, 'not_found'],
      ['InvalidRequestException', 400, 'not_found'],
      ['AccessDeniedException', 400, 'permission_denied'],
      ['AccessDenied', 403, 'permission_denied'],
      ['ThrottlingException', 400, 'throttled'],
      ['Throttling', 400, 'throttled'],
      ['SomethingNew', 429, 'throttled'],
      ['DecryptionFailure', 400, 'unavailable'],
      ['InternalServiceError', 500, 'unavailable'],
      ['ServiceUnavailable', 503, 'unavailable'],
      ['ExpiredToken', 403, 'unavailable'],
      ['InvalidClientTokenId', 403, 'unavailable'],
      ['MalformedPolicyDocument', 400, 'invalid_reference'],
      ['PackedPolicyTooLarge', 400, 'invalid_reference'],
      ['ValidationError', 400, 'invalid_reference'],
    ];
    for (const [name, status, kind] of table) {
      const err = mapAwsError(sdkError(name, status), 'Op', live);
      assert.equal(err.kind, kind, name);
      assert.ok(!err.reason.includes('backend says'), 'no backend text in the reason');
      assert.equal(err.code === 'forbidden', kind === 'permission_denied');
    }
  });

  it('never echoes an odd error name, passes AdapterErrors through, and turns an abort into timeout', () => {
    assert.match(mapAwsError(sdkError('<script>alert(1)</script>', 400), 'Op', live).reason, /\(unknown\)/);
    const own = new AdapterError('not_found', 'x');
    assert.equal(mapAwsError(own, 'Op', live), own);
    const aborted = AbortSignal.abort();
    assert.equal(mapAwsError(sdkError('AbortError', 0), 'Op', aborted).kind, 'timeout');
  });
});
