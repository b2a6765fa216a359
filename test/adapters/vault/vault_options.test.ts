/** Vault mount options, the injectable client factory, and namespace isolation. */
import assert from 'node:assert/strict';
import { AdapterError } from '../../../adapters/contract.ts';
import { createNodeVaultClient, type VaultClientConfig } from '../../../adapters/vault/client.ts';
import { create } from '../../../adapters/vault/adapter.ts';
import { manifest } from '../../../adapters/vault/index.ts';
import { vaultRig } from './vault_fixture.ts';

const base = { address: 'https://vault.internal:8200', kv: { mount: 'secret', version: 2 }, auth: { method: 'token', token_env: 'VAULT_T' } };
const parse = (overrides: Record<string, unknown>) => manifest.optionsSchema.safeParse({ ...base, ...overrides });

describe('vault adapter: options', () => {
  it('accepts a minimal https mount and fills defaults', () => {
    const parsed = parse({});
    assert.ok(parsed.success);
    assert.equal(parsed.data.kv.string_field, 'value');
    assert.equal(parsed.data.request_timeout_ms, 30_000);
  });

  const refused: Array<[string, Record<string, unknown>]> = [
    ['plain http to a remote host', { address: 'http://vault.internal:8200' }],
    ['a non-http scheme', { address: 'ftp://vault.internal' }],
    ['ca_file with http', { address: 'http://127.0.0.1:8200', ca_file: 'ca.pem' }],
    ['an unknown key', { tls_skip_verify: true }],
    ['KV version 3', { kv: { mount: 'secret', version: 3 } }],
    ['a mount with a leading slash', { kv: { mount: '/secret', version: 2 } }],
    ['both token_env and token_file', { auth: { method: 'token', token_env: 'A', token_file: 'b' } }],
    ['neither token_env nor token_file', { auth: { method: 'token' } }],
    ['an inline token', { auth: { method: 'token', token: 'hvs.x' } }],
    ['AppRole without a secret_id source', { auth: { method: 'approle', role_id: 'r' } }],
    ['JWT without jwt_file', { auth: { method: 'jwt', role: 'r' } }],
    ['an unknown auth method', { auth: { method: 'userpass', username: 'u' } }],
    ['a namespace with dots', { namespace: '../root' }],
  ];
  for (const [what, overrides] of refused) {
    it(`refuses ${what}`, () => assert.equal(parse(overrides).success, false));
  }

  it('allows plain http to loopback only', () => {
    assert.ok(parse({ address: 'http://127.0.0.1:8200' }).success);
    assert.ok(parse({ address: 'http://localhost:8200' }).success);
  });
});

describe('vault adapter: client factory', () => {
  it('hands the injected factory the pinned connection settings, and nothing is sent at create', () => {
    const seen: VaultClientConfig[] = [];
    const options = manifest.optionsSchema.parse({ ...base, address: 'https://vault.internal:8200/', namespace: 'team-a', request_timeout_ms: 1234 });
    const adapter = create(options, { mount: 'm', stateDir: '/tmp', configDir: '/tmp' }, {
      createClient: (config) => {
        seen.push(config);
        return createNodeVaultClient(config);
      },
      env: { VAULT_T: 'hvs.x' },
    });
    assert.equal(adapter.kind, 'vault');
    assert.deepEqual(seen, [{ endpoint: 'https://vault.internal:8200', namespace: 'team-a', ca: undefined, timeoutMs: 1234 }]);
  });

  it('refuses to start when ca_file is missing', () => {
    const options = manifest.optionsSchema.parse({ ...base, ca_file: 'does-not-exist.pem' });
    assert.throws(() => create(options, { mount: 'm', stateDir: '/tmp', configDir: '/tmp' }), /ENOENT/);
  });

  it('reports an empty token variable as permission_denied without calling Vault', async () => {
    const rig = await vaultRig({ deps: () => ({ env: {} }) });
    try {
      const err = await rig.adapter.read({ path: 'x', signal: AbortSignal.timeout(2000) }).catch((e: unknown) => e);
      assert.ok(err instanceof AdapterError);
      assert.equal(err.kind, 'permission_denied');
      assert.equal(rig.emulator.requests.length, 0);
    } finally {
      await rig.fixture.close();
    }
  });
});

describe('vault adapter: namespaces', () => {
  it('sends X-Vault-Namespace, and a secret in another namespace is not visible', async () => {
    const rig = await vaultRig({ namespace: 'team-a' });
    try {
      rig.emulator.mountKv('secret', 2); // the root namespace has its own, separate mount
      rig.emulator.seedKv('secret', 'only/in/root', { value: 'root-value' });
      rig.emulator.seedKv('secret', 'only/in/team', { value: 'team-value' }, 'team-a');
      assert.equal((await rig.adapter.read({ path: 'only/in/team', signal: AbortSignal.timeout(2000) })).value, 'team-value');
      const err = await rig.adapter.read({ path: 'only/in/root', signal: AbortSignal.timeout(2000) }).catch((e: unknown) => e);
      assert.ok(err instanceof AdapterError);
      assert.equal(err.kind, 'not_found');
      assert.ok(rig.emulator.requests.every((r) => r.namespace === 'team-a'));
    } finally {
      await rig.fixture.close();
    }
  });
});
