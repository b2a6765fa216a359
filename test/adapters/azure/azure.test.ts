/**
 * The Azure Key Vault adapter against the HTTPS emulator, through the real SecretClient: the shared
 * conformance suite, then the challenge flow, versions and content type, and the error mapping.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecretAdapter } from '../../../adapters/contract.ts';
import { create } from '../../../adapters/azure-key-vault/adapter.ts';
import { manifest } from '../../../adapters/azure-key-vault/index.ts';
import { retryAfterSeconds } from '../../../adapters/azure-key-vault/map_error.ts';
import { describeAdapter } from '../../conformance/describe_adapter.ts';
import { AzureKeyVaultEmulator } from './emulator/server.ts';
import { rejectsKind } from '../../helpers/adapter_errors.ts';
import { makeTempFolder, signal } from '../../helpers/kit.ts';

const TOKEN_ENV = 'CREFGATE_TEST_AZURE_TOKEN';
/** The adapter's documented mapping of a path to a secret name: segments joined with `--`. */
const nameOf = (path: string): string => path.split('/').join('--');

interface Started {
  emulator: AzureKeyVaultEmulator;
  adapter: SecretAdapter;
  close(): Promise<void>;
}

async function start(extra: Record<string, unknown> = {}, token?: string): Promise<Started> {
  const emulator = await AzureKeyVaultEmulator.start();
  const folder = await makeTempFolder('crefgate-azure-');
  const configDir = folder.path;
  await writeFile(join(configDir, 'ca.pem'), emulator.caPem);
  process.env[TOKEN_ENV] = token ?? emulator.token;
  const options = manifest.optionsSchema.parse({
    vault_url: emulator.url,
    ca_file: 'ca.pem',
    credential: { static_token_env: TOKEN_ENV },
    disable_challenge_resource_verification: true,
    ...extra,
  });
  const adapter = await create(options, { mount: 'azure', stateDir: configDir, configDir });
  return {
    emulator,
    adapter,
    async close() {
      await adapter.close();
      await emulator.stop();
      await folder.remove();
    },
  };
}

describeAdapter(manifest.kind, async () => {
  const started = await start();
  started.emulator.deny(nameOf('conformance/denied'));
  return {
    adapter: started.adapter,
    supportsFields: true,
    deniedPath: 'conformance/denied',
    async seed(path, value) {
      started.emulator.setSecret(nameOf(path), typeof value === 'string' ? value : JSON.stringify(value));
    },
    setFault(fault) {
      started.emulator.fault = fault;
    },
    close: () => started.close(),
  };
});

describe('azure key vault adapter', () => {
  let started: Started;
  let emulator: AzureKeyVaultEmulator;
  let adapter: SecretAdapter;
  beforeEach(async () => {
    started = await start();
    ({ emulator, adapter } = started);
  });
  afterEach(async () => {
    await started.close();
  });

  it('answers the 401 challenge: first request without auth, the retry with the bearer token', async () => {
    emulator.setSecret('db-password', 'pw');
    assert.equal((await adapter.read({ path: 'db-password', signal: signal() })).value, 'pw');
    const [first, second] = emulator.requests;
    assert.equal(emulator.requests.length, 2);
    assert.equal(first?.authorization, undefined);
    assert.equal(second?.authorization, `Bearer ${emulator.token}`);
    assert.equal(second?.path, '/secrets/db-password/', 'no version: trailing slash');
    assert.equal(second?.apiVersion, '2025-07-01');
  });

  it('reads the current or a pinned version, keeping the version id and content type', async () => {
    const v1 = emulator.setSecret('api-key', '{"token":"t1"}', 'application/json');
    const v2 = emulator.setSecret('api-key', 'plain', 'text/plain');
    assert.deepEqual(await adapter.read({ path: 'api-key', signal: signal() }), {
      value: 'plain',
      encoding: 'utf8',
      version: v2,
      contentType: 'text/plain',
    });
    const pinned = await adapter.read({ path: 'api-key', version: v1, field: 'token', signal: signal() });
    assert.deepEqual(pinned, { value: 't1', encoding: 'utf8', version: v1, contentType: 'application/json' });
    assert.equal(emulator.requests.at(-1)?.path, `/secrets/api-key/${v1}`);
  });

  it('maps 429 to throttled with retryAfter from Retry-After, without SDK retries', async () => {
    emulator.setSecret('busy', 'v');
    emulator.fault = 'throttled';
    emulator.retryAfter = '7';
    const err = await rejectsKind(adapter.read({ path: 'busy', signal: signal() }), 'throttled');
    assert.equal(err.retryAfter, 7);
    assert.equal(err.retryable, true);
    const authorised = emulator.requests.filter((r) => r.authorization !== undefined);
    assert.equal(authorised.length, 1, 'the SDK did not retry the 429 itself');
  });

  it('maps 403, 404 and 500 and keeps the vault text out of the reason', async () => {
    emulator.setSecret('s', 'v');
    emulator.fault = 'forbidden';
    const denied = await rejectsKind(adapter.read({ path: 's', signal: signal() }), 'permission_denied');
    assert.equal(denied.retryable, false);
    emulator.fault = 'unavailable';
    const down = await rejectsKind(adapter.read({ path: 's', signal: signal() }), 'unavailable');
    assert.equal(down.retryable, true);
    emulator.fault = null;
    const missing = await rejectsKind(adapter.read({ path: 'absent', signal: signal() }), 'not_found');
    for (const err of [denied, down, missing]) assert.ok(!/key vault|authorized|outage/i.test(err.reason), err.reason);
  });

  it('refuses paths that do not map to exactly one secret name', async () => {
    for (const path of ['Upper', 'a_b', 'a--b', '-a', 'a-', 'a.b', 'a//b', 'x'.repeat(128)]) {
      await rejectsKind(adapter.read({ path, signal: signal() }), 'invalid_reference');
    }
    await rejectsKind(adapter.read({ path: 'ok', version: '../x', signal: signal() }), 'invalid_reference');
    assert.equal(emulator.requests.length, 0, 'nothing refused reached the vault');
  });

  it('maps a token the vault refuses to permission_denied', async () => {
    const refused = await start({}, 'not-the-token');
    try {
      refused.emulator.setSecret('x', 'v');
      await rejectsKind(refused.adapter.read({ path: 'x', signal: signal() }), 'permission_denied');
    } finally {
      await refused.close();
    }
  });

  it('reports an unreachable vault as unavailable', async () => {
    const url = emulator.url;
    await emulator.stop();
    const gone = await start({ vault_url: url });
    await gone.emulator.stop();
    await rejectsKind(gone.adapter.read({ path: 'x', signal: signal() }), 'unavailable');
  });
});

describe('azure key vault options and credentials', () => {
  it('builds the default credential lazily: creating a mount reaches no network', async () => {
    const emulator = await AzureKeyVaultEmulator.start();
    try {
      const options = manifest.optionsSchema.parse({ vault_url: emulator.url });
      const adapter = await create(options, { mount: 'a', stateDir: '/', configDir: '/' });
      await adapter.close();
      assert.equal(emulator.requests.length, 0);
    } finally {
      await emulator.stop();
    }
  });

  it('refuses test-only settings for a real vault, and plain http', () => {
    const schema = manifest.optionsSchema;
    assert.equal(schema.safeParse({ vault_url: 'https://v.vault.azure.net', credential: { static_token_env: 'T' } }).success, false);
    assert.equal(schema.safeParse({ vault_url: 'https://v.vault.azure.net', disable_challenge_resource_verification: true }).success, false);
    assert.equal(schema.safeParse({ vault_url: 'http://127.0.0.1:1' }).success, false);
    assert.equal(schema.safeParse({ vault_url: 'https://v.vault.azure.net', client_id: 'c' }).success, true);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const headers = (h: Record<string, string>) => ({ get: (name: string) => h[name] });
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(retryAfterSeconds(headers({ 'retry-after': '12' }), now), 12);
    assert.equal(retryAfterSeconds(headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }), now), 30);
    assert.equal(retryAfterSeconds(headers({ 'retry-after-ms': '1500' }), now), 2);
    assert.equal(retryAfterSeconds(headers({ 'retry-after': 'soon' }), now), undefined);
    assert.equal(retryAfterSeconds(headers({}), now), undefined);
  });
});
