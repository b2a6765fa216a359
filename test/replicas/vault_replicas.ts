/**
 * The set-up the replica suites share: a Vault emulator (KV v2 at `secret`, a `database/readonly` dynamic role)
 * and `count` `crefgate serve` processes on the test Redis whose `vault` mount serves `cref://{tenant}/db/{role}`.
 */
import { startVaultEmulator, type VaultEmulator } from '../adapters/vault/emulator/server.ts';
import { startReplicas, type ReplicaSet } from '../helpers/replicas.ts';
import { vaultDbRoute, vaultMount } from '../helpers/vault_mount.ts';

/** Starts the emulator, then the replicas; a failed start closes the emulator again. */
export async function startVaultReplicas(count: number): Promise<{ set: ReplicaSet; vault: VaultEmulator }> {
  const vault = await startVaultEmulator();
  try {
    vault.mountKv('secret', 2);
    vault.addDynamicRole('database', 'readonly', { defaultTtl: 3600, maxTtl: 7200 });
    const set = await startReplicas(count, process.env.REDIS_URL!, {
      env: { CREFGATE_E2E_VAULT_TOKEN: vault.rootToken },
      mutate: (doc) => {
        doc.mounts.vault = vaultMount(vault.url, 'CREFGATE_E2E_VAULT_TOKEN', { timeoutMs: 4000, requestTimeoutMs: 4000 });
        doc.routes.unshift(vaultDbRoute());
      },
    });
    return { set, vault };
  } catch (err) {
    await vault.close();
    throw err;
  }
}
