/**
 * The GCP Secret Manager adapter against the grpc-js emulator, through the real @google-cloud/secret-manager
 * client: the shared conformance suite, then checksum, reference and status-mapping cases.
 */
import assert from 'node:assert/strict';
import type { AdapterError, SecretAdapter } from '../../../adapters/contract.ts';
import { create } from '../../../adapters/gcp-secret-manager/adapter.ts';
import type { AccessResponse } from '../../../adapters/gcp-secret-manager/client.ts';
import { crc32c } from '../../../adapters/gcp-secret-manager/crc32c.ts';
import { manifest } from '../../../adapters/gcp-secret-manager/index.ts';
import { describeAdapter } from '../../conformance/describe_adapter.ts';
import { GcpSecretManagerEmulator, type GcpFault } from './emulator/server.ts';
import { rejectsKind } from '../../helpers/adapter_errors.ts';
import { signal } from '../../helpers/kit.ts';

const PROJECT = 'crefgate-test';
const context = { mount: 'gcp', stateDir: '/nonexistent', configDir: '/nonexistent' };
/** The adapter's documented mapping of a relative path to a secret id: segments joined with `__`. */
const secretOf = (path: string): string => `projects/${PROJECT}/secrets/${path.split('/').join('__')}`;

async function start(extra: Record<string, unknown> = {}): Promise<{ emulator: GcpSecretManagerEmulator; adapter: SecretAdapter }> {
  const emulator = await GcpSecretManagerEmulator.start();
  const options = manifest.optionsSchema.parse({
    project: PROJECT,
    api_endpoint: '127.0.0.1',
    port: emulator.port,
    insecure: true,
    ...extra,
  });
  const adapter = await create(options, context);
  return { emulator, adapter };
}

describeAdapter(manifest.kind, async () => {
  const { emulator, adapter } = await start();
  emulator.deny(secretOf('conformance/denied'));
  const faults: Record<'throttled' | 'unavailable', GcpFault> = { throttled: 'RESOURCE_EXHAUSTED', unavailable: 'UNAVAILABLE' };
  return {
    adapter,
    supportsFields: true,
    deniedPath: 'conformance/denied',
    async seed(path, value) {
      emulator.addVersion(secretOf(path), typeof value === 'string' ? value : JSON.stringify(value));
    },
    setFault(fault) {
      emulator.fault = fault === null ? null : faults[fault];
    },
    async close() {
      await adapter.close();
      await emulator.stop();
    },
  };
});

describe('gcp secret manager adapter', () => {
  let emulator: GcpSecretManagerEmulator;
  let adapter: SecretAdapter;
  beforeEach(async () => {
    ({ emulator, adapter } = await start());
  });
  afterEach(async () => {
    await adapter.close();
    await emulator.stop();
  });

  it('reads latest by default and a pinned version on request, reporting the version read', async () => {
    emulator.addVersion(secretOf('db'), 'first');
    emulator.addVersion(secretOf('db'), 'second');
    assert.deepEqual(await adapter.read({ path: 'db', signal: signal() }), { value: 'second', encoding: 'utf8', version: '2' });
    const pinned = await adapter.read({ path: 'db', version: '1', signal: signal() });
    assert.equal(pinned.value, 'first');
    assert.equal(pinned.version, '1');
    assert.deepEqual(
      emulator.calls.map((c) => c.name),
      [`${secretOf('db')}/versions/latest`, `${secretOf('db')}/versions/1`],
    );
  });

  it('accepts a full resource name, with or without a version', async () => {
    emulator.addVersion(`projects/${PROJECT}/secrets/api-key`, 'k1');
    emulator.addVersion(`projects/${PROJECT}/secrets/api-key`, 'k2');
    assert.equal((await adapter.read({ path: `projects/${PROJECT}/secrets/api-key`, signal: signal() })).value, 'k2');
    const v1 = await adapter.read({ path: `projects/${PROJECT}/secrets/api-key/versions/1`, signal: signal() });
    assert.equal(v1.value, 'k1');
  });

  it('rejects a corrupted checksum as an integrity error and never returns the value', async () => {
    emulator.addVersion(secretOf('tampered'), 'value-that-must-not-leak');
    emulator.checksum = 'wrong';
    const err = await rejectsKind(adapter.read({ path: 'tampered', signal: signal() }), 'integrity');
    assert.equal(err.retryable, false);
    assert.equal(err.code, 'unavailable');
    for (const text of [err.message, err.reason, String(err.cause ?? '')]) assert.ok(!text.includes('value-that-must-not-leak'));
  });

  it('treats a missing checksum as an integrity error unless the mount allows it', async () => {
    emulator.addVersion(secretOf('old'), 'legacy');
    emulator.checksum = 'missing';
    await rejectsKind(adapter.read({ path: 'old', signal: signal() }), 'integrity');
    const lenient = await start({ allow_missing_checksum: true });
    try {
      lenient.emulator.addVersion(secretOf('old'), 'legacy');
      lenient.emulator.checksum = 'missing';
      assert.equal((await lenient.adapter.read({ path: 'old', signal: signal() })).value, 'legacy');
    } finally {
      await lenient.adapter.close();
      await lenient.emulator.stop();
    }
  });

  it('returns binary payloads as base64', async () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    emulator.addVersion(secretOf('blob'), binary);
    const secret = await adapter.read({ path: 'blob', signal: signal() });
    assert.equal(secret.encoding, 'base64');
    assert.equal(secret.value, binary.toString('base64'));
  });

  it('maps gRPC statuses to typed errors', async () => {
    emulator.addVersion(secretOf('s'), 'v');
    const expected: Array<[GcpFault, AdapterError['kind'], boolean]> = [
      ['NOT_FOUND', 'not_found', false],
      ['PERMISSION_DENIED', 'permission_denied', false],
      ['UNAVAILABLE', 'unavailable', true],
      ['RESOURCE_EXHAUSTED', 'throttled', true],
      ['DEADLINE_EXCEEDED', 'timeout', true],
    ];
    for (const [fault, kind, retryable] of expected) {
      emulator.fault = fault;
      const err = await rejectsKind(adapter.read({ path: 's', signal: signal() }), kind);
      assert.equal(err.retryable, retryable, fault);
      assert.ok(!err.reason.includes('emulated'), 'backend text stays out of the reason');
    }
    // One call per read: the library's own retries (UNAVAILABLE, RESOURCE_EXHAUSTED) are off.
    assert.equal(emulator.calls.length, expected.length);
  });

  it('maps a disabled version to not_found', async () => {
    emulator.addVersion(secretOf('rotated'), 'old');
    emulator.disableVersion(secretOf('rotated'), 1);
    await rejectsKind(adapter.read({ path: 'rotated', version: '1', signal: signal() }), 'not_found');
  });

  it('refuses references that do not name exactly one secret of an allowed project', async () => {
    const bad = ['a__b', '_a', 'a_', 'a/b_', 'a.b', 'projects/x', `projects/${PROJECT}/secrets/a/versions/1/extra`];
    for (const path of bad) await rejectsKind(adapter.read({ path, signal: signal() }), 'invalid_reference');
    await rejectsKind(adapter.read({ path: 'a', version: 'v/1', signal: signal() }), 'invalid_reference');
    await rejectsKind(
      adapter.read({ path: `projects/${PROJECT}/secrets/a/versions/1`, version: '2', signal: signal() }),
      'invalid_reference',
    );
    await rejectsKind(adapter.read({ path: 'projects/other-project/secrets/a', signal: signal() }), 'permission_denied');
    assert.equal(emulator.calls.length, 0, 'nothing refused reached the backend');
  });

  it('reads from a further project only when the mount allows it', async () => {
    const wide = await start({ allowed_projects: ['other-project'] });
    try {
      wide.emulator.addVersion('projects/other-project/secrets/shared', 'cross');
      assert.equal((await wide.adapter.read({ path: 'projects/other-project/secrets/shared', signal: signal() })).value, 'cross');
    } finally {
      await wide.adapter.close();
      await wide.emulator.stop();
    }
  });

  it('refuses plaintext gRPC to anything but loopback', () => {
    const parsed = manifest.optionsSchema.safeParse({
      project: PROJECT,
      api_endpoint: 'secretmanager.googleapis.com',
      insecure: true,
    });
    assert.equal(parsed.success, false);
  });

  it('cancels the gRPC call when the signal fires mid-call', async () => {
    emulator.addVersion(secretOf('slow'), 'v');
    emulator.latencyMs = 5000;
    const started = Date.now();
    await rejectsKind(adapter.read({ path: 'slow', signal: AbortSignal.timeout(100) }), 'timeout');
    assert.ok(Date.now() - started < 2000);
    for (let i = 0; i < 50 && emulator.cancelled === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(emulator.cancelled, 1, 'the server saw the call cancelled');
  });

  it('reports health as not ok while the service is unavailable', async () => {
    emulator.fault = 'UNAVAILABLE';
    assert.equal((await adapter.health(signal())).ok, false);
  });
});

describe('gcp secret manager adapter with an injected client', () => {
  const options = manifest.optionsSchema.parse({ project: PROJECT });
  const withAnswer = (answer: AccessResponse) =>
    create(options, context, {
      createClient: () => ({ access: async () => answer, close: async () => undefined }),
    });

  it('accepts the checksum as a number, a decimal string or a Long-like object', async () => {
    const data = Buffer.from('hello');
    const sum = crc32c(data);
    // protobufjs Long objects print as decimal digits; only toString matters to the adapter.
    const longLike = { toString: () => String(sum) } as unknown as number;
    for (const dataCrc32c of [sum, String(sum), longLike]) {
      const adapter = await withAnswer({ name: `${secretOf('x')}/versions/4`, payload: { data, dataCrc32c } });
      assert.deepEqual(await adapter.read({ path: 'x', signal: signal() }), { value: 'hello', encoding: 'utf8', version: '4' });
    }
  });

  it('refuses a checksum that is not a 32-bit value', async () => {
    for (const dataCrc32c of ['-1', '4294967296', 'abc']) {
      const adapter = await withAnswer({ name: `${secretOf('x')}/versions/1`, payload: { data: Buffer.from('v'), dataCrc32c } });
      await rejectsKind(adapter.read({ path: 'x', signal: signal() }), 'integrity');
    }
  });
});
