/**
 * The slow backend of the completion-race tests: the Vault emulator (a static `tenants/tenant_abc/ci` token and a
 * `database/readonly` role) behind a gate proxy that holds KV reads and credential mints while the test has it closed.
 */
import { startVaultEmulator, type VaultEmulator } from '../adapters/vault/emulator/server.ts';
import { startGateProxy, type GateProxy } from './gate_proxy.ts';

/** Starts both, gate open; the mount points at `gate.url`. `staticValue` is the KV token's value. */
export async function startGatedVault(staticValue: string): Promise<{ vault: VaultEmulator; gate: GateProxy }> {
  const vault = await startVaultEmulator();
  vault.mountKv('secret', 2);
  vault.seedKv('secret', 'tenants/tenant_abc/ci', { token: staticValue });
  vault.addDynamicRole('database', 'readonly', { defaultTtl: 3600, maxTtl: 7200 });
  try {
    const gate = await startGateProxy(vault.url, /\/v1\/(secret\/data|database\/creds)\//);
    gate.open();
    return { vault, gate };
  } catch (err) {
    await vault.close();
    throw err;
  }
}
