/**
 * Wires the Vault adapter (with the real node-vault client) to a fresh Vault emulator, for the conformance
 * suite and the Vault-specific tests.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecretPayload } from '../../../adapters/contract.ts';
import { create, type VaultAdapter, type VaultDeps } from '../../../adapters/vault/adapter.ts';
import { manifest } from '../../../adapters/vault/index.ts';
import type { ConformanceFixture } from '../../conformance/describe_adapter.ts';
import { startVaultEmulator, type VaultEmulator } from './emulator/server.ts';
import { createThrowawayPki } from '../../helpers/throwaway_ca.ts';
import { makeTempFolder } from '../../helpers/kit.ts';

export interface VaultTestSetup {
  kvVersion?: 1 | 2;
  tls?: boolean;
  namespace?: string;
  /** Auth options; defaults to the emulator's root token through an injected environment variable. */
  auth?: (emulator: VaultEmulator, dir: string) => Promise<Record<string, unknown>>;
  deps?: (emulator: VaultEmulator) => VaultDeps;
}

export interface VaultTestRig {
  emulator: VaultEmulator;
  adapter: VaultAdapter;
  kvMount: string;
  dir: string;
  fixture: ConformanceFixture;
}

/** Starts an emulator (HTTP, or HTTPS with a throwaway CA) and builds an adapter against it. */
export async function vaultRig(setup: VaultTestSetup = {}): Promise<VaultTestRig> {
  const kvVersion = setup.kvVersion ?? 2;
  const namespace = setup.namespace ?? '';
  const folder = await makeTempFolder('crefgate-vault-');
  const dir = folder.path;
  const pki = setup.tls === true ? await createThrowawayPki() : undefined;
  if (pki !== undefined) await writeFile(join(dir, 'vault-ca.pem'), pki.caCert);
  const emulator = await startVaultEmulator(pki === undefined ? {} : { tls: { key: pki.serverKey, cert: pki.serverCert } });
  const kvMount = kvVersion === 2 ? 'secret' : 'kv1';
  emulator.mountKv(kvMount, kvVersion, namespace);
  emulator.addDynamicRole('database', 'readonly', { defaultTtl: 3600, maxTtl: 7200 }, namespace);
  const deniedPath = 'denied/secret';
  emulator.deny(kvVersion === 2 ? `${kvMount}/data/denied` : `${kvMount}/denied`);

  const auth = setup.auth === undefined ? { method: 'token', token_env: 'TEST_VAULT_TOKEN' } : await setup.auth(emulator, dir);
  const options = manifest.optionsSchema.parse({
    address: emulator.url,
    ...(namespace === '' ? {} : { namespace }),
    ...(pki === undefined ? {} : { ca_file: 'vault-ca.pem' }),
    kv: { mount: kvMount, version: kvVersion },
    auth,
    request_timeout_ms: 2000,
  });
  const deps: VaultDeps = { env: { TEST_VAULT_TOKEN: emulator.rootToken }, now: () => emulator.state.now(), ...setup.deps?.(emulator) };
  const adapter = create(options, { mount: 'vault-test', stateDir: dir, configDir: dir }, deps);

  const close = async (): Promise<void> => {
    await adapter.close();
    await emulator.close();
    await folder.remove();
  };
  const fixture: ConformanceFixture = {
    adapter,
    seed: async (path: string, value: SecretPayload) => {
      emulator.seedKv(kvMount, path, typeof value === 'string' ? { value } : value, namespace);
    },
    supportsFields: true,
    deniedPath,
    setFault: (fault) => emulator.setFault(fault === null ? null : { status: fault === 'throttled' ? 429 : 503 }),
    dynamicPath: 'database/creds/readonly',
    isRevoked: async (handle) => emulator.leaseState((handle as { lease_id: string }).lease_id) === 'revoked',
    close,
  };
  return { emulator, adapter, kvMount, dir, fixture };
}
