/**
 * Issue 15.2 across processes: a resolve waits on a slow backend on replica 0 while the job is completed through
 * replica 1. The commit on replica 0 meets the job closed in Redis (one script in the job's slot), is refused at
 * `commit`, and the dynamic credential it minted is revoked at Vault by whichever replica's worker takes it.
 */
import assert from 'node:assert/strict';
import { CrefgateError } from '../../src/client/index.ts';
import type { VaultEmulator } from '../adapters/vault/emulator/server.ts';
import type { GateProxy } from '../e2e/gate_proxy.ts';
import { startGatedVault } from '../e2e/gated_vault.ts';
import { auditOf, startReplicas, type ReplicaSet } from '../helpers/replicas.ts';
import { until } from '../helpers/until.ts';
import { vaultDbRoute, vaultKvRoute, vaultMount } from '../helpers/vault_mount.ts';

describe('completion on another replica racing a resolve', function () {
  this.timeout(60_000);
  let set: ReplicaSet;
  let vault: VaultEmulator;
  let gate: GateProxy;

  before(async () => {
    ({ vault, gate } = await startGatedVault('vault-static-value-replicas'));
    set = await startReplicas(2, process.env.REDIS_URL!, {
      env: { CREFGATE_E2E_VAULT_TOKEN: vault.rootToken },
      mutate: (doc) => {
        doc.mounts.vault = vaultMount(gate.url, 'CREFGATE_E2E_VAULT_TOKEN', { timeoutMs: 10_000, requestTimeoutMs: 10_000 });
        doc.routes.unshift(
          vaultKvRoute(),
          vaultDbRoute(),
        );
      },
    });
  });
  after(async () => {
    await set?.close();
    await gate?.stop();
    await vault?.close();
  });

  for (const [what, crefs] of [
    ['static', { s: 'cref://tenant_abc/vault/ci' }],
    ['dynamic', { db: 'cref://tenant_abc/db/readonly' }],
  ] as const) {
    it(`refuses the ${what} resolve at commit on replica 0 after replica 1 completed the job`, async () => {
      const [a, b] = set.replicas;
      const coordinator = b!.client('coordinator');
      const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 600 });
      const before = new Set(vault.state.leases.keys());
      gate.close();
      const pending = a!.client('executor').resolve(envelope).then(
        () => undefined,
        (e: unknown) => e,
      );
      await gate.held();
      const done = await coordinator.completeJob(envelope.payload.job_id);
      assert.equal(done.revoked_leases, 0, 'nothing recorded yet when the completion collected');
      gate.open();
      const err = await pending;
      assert.ok(err instanceof CrefgateError, 'the racing resolve must be refused');
      assert.equal(err.code, 'expired');
      const line = await until('the denial on replica 0', async () => (await auditOf(a!)).find((l) => l.request_id === err.requestId && l.outcome === 'denied'));
      assert.equal(line.step, 'commit');
      const minted = [...vault.state.leases.keys()].filter((id) => !before.has(id));
      assert.equal(minted.length, what === 'dynamic' ? 1 : 0);
      for (const id of minted) await until(`Vault lease ${id} revoked`, async () => (vault.leaseState(id) === 'revoked' ? true : undefined), 20_000);
    });
  }
});
