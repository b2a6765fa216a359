/**
 * The Secrets Manager adapter against the wire-level emulator, through the real @aws-sdk client: the shared
 * conformance suite, then the AWS-specific reference syntax (versions, stages, ARNs, fields, binary).
 */
import assert from 'node:assert/strict';
import { manifest as secretsManagerManifest } from '../../../adapters/aws-secrets-manager/index.ts';
import { describeAdapter } from '../../conformance/describe_adapter.ts';
import { SecretsManagerEmulator } from './emulator/secrets_manager.ts';
import type { SecretAdapter } from '../../../adapters/contract.ts';
import { rejectsKind, secretsManagerOn, signal, TEST_ACCESS_KEY_ID } from './aws_fixture.ts';

describeAdapter(secretsManagerManifest.kind, async () => {
  const emulator = new SecretsManagerEmulator();
  const endpoint = await emulator.start();
  emulator.faultsByName.set('conformance/denied', 'access_denied');
  return {
    adapter: await secretsManagerOn(endpoint),
    seed: async (path, value) => void emulator.seed(path, typeof value === 'string' ? value : JSON.stringify(value)),
    supportsFields: true,
    deniedPath: 'conformance/denied',
    setFault: (fault) => {
      emulator.fault = fault === null ? null : fault === 'throttled' ? 'throttled' : 'internal';
    },
    close: () => emulator.close(),
  };
});

describe('aws secrets manager adapter', () => {
  let emulator: SecretsManagerEmulator;
  let adapter: SecretAdapter;
  beforeEach(async () => {
    emulator = new SecretsManagerEmulator();
    adapter = await secretsManagerOn(await emulator.start());
  });
  afterEach(async () => {
    await adapter.close();
    await emulator.close();
  });

  it('signs with the configured keys, scoped to the mount region and service', async () => {
    emulator.seed('app/token', 'tok');
    await adapter.read({ path: 'app/token', signal: signal() });
    assert.deepEqual(emulator.signedBy.at(-1), { accessKeyId: TEST_ACCESS_KEY_ID, region: 'eu-west-1', service: 'secretsmanager', sessionToken: undefined });
    assert.deepEqual(emulator.requests.at(-1), { SecretId: 'app/token' });
  });

  it('returns SecretBinary as base64', async () => {
    const bytes = Uint8Array.from([0, 1, 2, 250, 255, 10]);
    emulator.seed('app/keystore', bytes);
    const secret = await adapter.read({ path: 'app/keystore', signal: signal() });
    assert.equal(secret.encoding, 'base64');
    assert.deepEqual(Buffer.from(secret.value as string, 'base64'), Buffer.from(bytes));
  });

  it('pins a staging label with stage:<label> and a version with its VersionId', async () => {
    const v1 = '11111111-1111-4111-8111-111111111111';
    const v2 = '22222222-2222-4222-8222-222222222222';
    emulator.seed('db/main', 'first', { versionId: v1 });
    emulator.seed('db/main', 'second', { versionId: v2 });
    emulator.seed('db/main', 'pending', { versionId: '33333333-3333-4333-8333-333333333333', stages: ['AWSPENDING'] });
    assert.deepEqual(await adapter.read({ path: 'db/main', signal: signal() }), { value: 'second', encoding: 'utf8', version: v2 });
    const previous = await adapter.read({ path: 'db/main', version: 'stage:AWSPREVIOUS', signal: signal() });
    assert.equal(previous.value, 'first');
    assert.deepEqual(emulator.requests.at(-1), { SecretId: 'db/main', VersionStage: 'AWSPREVIOUS' });
    assert.equal((await adapter.read({ path: 'db/main', version: 'stage:AWSPENDING', signal: signal() })).value, 'pending');
    assert.equal((await adapter.read({ path: 'db/main', version: v1, signal: signal() })).value, 'first');
    assert.deepEqual(emulator.requests.at(-1), { SecretId: 'db/main', VersionId: v1 });
    await rejectsKind(adapter.read({ path: 'db/main', version: '44444444-4444-4444-8444-444444444444', signal: signal() }), 'not_found');
    await rejectsKind(adapter.read({ path: 'db/main', version: 'stage:NOPE', signal: signal() }), 'not_found');
  });

  it('rejects malformed versions and paths as invalid_reference before calling AWS', async () => {
    emulator.seed('db/main', 'x');
    const before = emulator.requests.length;
    await rejectsKind(adapter.read({ path: 'db/main', version: '3', signal: signal() }), 'invalid_reference');
    await rejectsKind(adapter.read({ path: 'db/main', version: 'stage:', signal: signal() }), 'invalid_reference');
    await rejectsKind(adapter.read({ path: 'db main', signal: signal() }), 'invalid_reference');
    await rejectsKind(adapter.read({ path: 'arn:aws:s3:::bucket', signal: signal() }), 'invalid_reference');
    assert.equal(emulator.requests.length, before);
  });

  it('reads by ARN, and refuses an ARN from another region', async () => {
    const arn = emulator.seed('by/arn', 'arn-value');
    assert.equal((await adapter.read({ path: arn, signal: signal() })).value, 'arn-value');
    const elsewhere = arn.replace(':eu-west-1:', ':us-east-1:');
    const err = await rejectsKind(adapter.read({ path: elsewhere, signal: signal() }), 'invalid_reference');
    assert.match(err.reason, /us-east-1/);
  });

  it('selects scalar JSON keys; nested members, plain strings and binaries have no fields', async () => {
    emulator.seed('db/json', JSON.stringify({ username: 'app', port: 5432, tls: true, nested: { a: 1 }, nothing: null }));
    const read = (path: string, field: string) => adapter.read({ path, field, signal: signal() });
    assert.equal((await read('db/json', 'username')).value, 'app');
    assert.equal((await read('db/json', 'port')).value, '5432');
    assert.equal((await read('db/json', 'tls')).value, 'true');
    await rejectsKind(read('db/json', 'nested'), 'not_found');
    await rejectsKind(read('db/json', 'nothing'), 'not_found');
    await rejectsKind(read('db/json', 'constructor'), 'not_found');
    emulator.seed('plain', 'not json at all');
    const plain = await rejectsKind(read('plain', 'username'), 'not_found');
    assert.equal(plain.cause, undefined, 'the JSON.parse error quotes the secret, so it is not kept');
    emulator.seed('bin', Uint8Array.from([1, 2, 3]));
    await rejectsKind(read('bin', 'username'), 'not_found');
  });

  it('returns a JSON SecretString verbatim when no field is asked for', async () => {
    const text = JSON.stringify({ username: 'app', password: 'pw' });
    emulator.seed('db/json', text);
    assert.equal((await adapter.read({ path: 'db/json', signal: signal() })).value, text);
  });

  it('maps DecryptionFailure to unavailable with a KMS reason; AWS text stays in cause', async () => {
    emulator.seed('kms/broken', 'x');
    emulator.faultsByName.set('kms/broken', 'decryption_failure');
    const err = await rejectsKind(adapter.read({ path: 'kms/broken', signal: signal() }), 'unavailable');
    assert.match(err.reason, /KMS could not decrypt/);
    assert.ok(!err.reason.includes("can't decrypt the protected secret text"));
    assert.match(String((err.cause as Error).message), /can't decrypt the protected secret text/);
    assert.equal(err.message, err.publicMessage);
  });

  it('maps access denied to permission_denied and keeps the AWS message out of the reason', async () => {
    emulator.faultsByName.set('secret/denied', 'access_denied');
    const err = await rejectsKind(adapter.read({ path: 'secret/denied', signal: signal() }), 'permission_denied');
    assert.ok(!err.reason.includes('not authorized'));
  });

  it('times out on a hanging backend when the signal fires', async () => {
    emulator.fault = 'hang';
    const started = Date.now();
    const err = await rejectsKind(adapter.read({ path: 'any', signal: AbortSignal.timeout(200) }), 'timeout');
    assert.equal(err.retryable, true);
    assert.ok(Date.now() - started < 2000);
  });

  it('reports an unreachable endpoint as unavailable', async () => {
    await emulator.close();
    const err = await rejectsKind(adapter.read({ path: 'any', signal: signal() }), 'unavailable');
    assert.equal(err.retryable, true);
  });

  it('health: the probe being absent is healthy; a server error is not', async () => {
    assert.deepEqual(await adapter.health(signal()), { ok: true, detail: 'endpoint reachable (probe: not_found)' });
    assert.equal(emulator.requests.at(-1)?.SecretId, 'crefgate/health-probe');
    emulator.fault = 'internal';
    const report = await adapter.health(signal());
    assert.equal(report.ok, false);
  });
});
