/**
 * Issue 15.2: a job completed while one of its resolves waits on a slow backend. Once the completion has answered,
 * nothing issued for that job is usable: the racing resolve is refused at `commit` and rolled back, no lease of the
 * job stays active, and a dynamic credential minted for it is revoked at the backend. Before the fix, the resolve
 * committed after the completion had revoked what it could see (nothing yet) and its lease stayed active. Memory
 * and Redis; the slow backend is the Vault emulator behind a proxy that holds requests until the test opens it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CrefgateError, type CrefgateClient, type Envelope } from '../../src/client/index.ts';
import { runRevocations } from '../../src/leases/revocation_worker.ts';
import type { VaultEmulator } from '../adapters/vault/emulator/server.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/until.ts';
import type { GateProxy } from './gate_proxy.ts';
import { startGatedVault } from './gated_vault.ts';
import { vaultDbRoute, vaultKvRoute, vaultMount } from '../helpers/vault_mount.ts';

for (const kind of ['memory', 'redis'] as const) {
  describe(`job completion racing an in-flight resolve (${kind} state)`, function () {
    this.timeout(30_000);
    let vault: VaultEmulator;
    let gate: GateProxy;
    let gw: TestGateway;
    let coordinator: CrefgateClient;
    let executor: CrefgateClient;
    const keyFile = path.join(tmpdir(), `crefgate-race-${randomBytes(6).toString('hex')}`);

    before(async () => {
      ({ vault, gate } = await startGatedVault('vault-static-value-race'));
      process.env.CREFGATE_RACE_VAULT_TOKEN = vault.rootToken;
      await writeFile(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      gw = await startGateway({
        gateway: { workers: false },
        mutate: (c) => {
          c.mounts.vault = vaultMount(gate.url, 'CREFGATE_RACE_VAULT_TOKEN', { timeoutMs: 10_000, breaker: { failure_threshold: 5, cooldown_ms: 10_000 } });
          c.routes.unshift(
            vaultKvRoute(),
            vaultDbRoute(),
          );
          if (kind === 'redis') {
            c.state = {
              kind: 'redis',
              redis: { url: process.env.REDIS_URL, key_prefix: `race${randomBytes(4).toString('hex')}:`, command_timeout_ms: 500, connect_timeout_ms: 2000, master_keys: [{ key_id: 'k1', file: keyFile }] },
            };
          }
        },
      });
      coordinator = gw.client('coordinator');
      executor = gw.client('executor');
    });
    after(async () => {
      await gw?.close();
      await gate?.stop();
      await vault?.close();
      await rm(keyFile, { force: true });
      delete process.env.CREFGATE_RACE_VAULT_TOKEN;
    });

    /** Starts a resolve, completes the job while the backend holds it, then lets the backend answer. */
    async function race(crefs: Record<string, string>): Promise<{ envelope: Envelope; err: CrefgateError }> {
      const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 600 });
      gate.close();
      const pending = executor.resolve(envelope).then(
        () => undefined,
        (e: unknown) => e,
      );
      await gate.held();
      await coordinator.completeJob(envelope.payload.job_id);
      gate.open();
      const err = await pending;
      assert.ok(err instanceof CrefgateError, 'the racing resolve must be refused, not granted');
      return { envelope, err };
    }

    it('refuses a static resolve at commit, audits the abort of its granted event, and leaves no lease', async () => {
      const { envelope, err } = await race({ s: 'cref://tenant_abc/vault/ci' });
      assert.equal(err.code, 'expired');
      const lines = (await gw.auditLines()).filter((l) => l.request_id === err.requestId);
      assert.deepEqual(lines.map((l) => [l.action, l.outcome, l.step]), [['resolve', 'granted', undefined], ['resolve', 'denied', 'commit']]);
      assert.equal((lines[1]!.detail as Record<string, unknown>).aborts_event, lines[0]!.event_id);
      assert.equal(lines[1]!.tenant, 'tenant_abc');
      const leases = await gw.gateway.services.state.leases.listByJob(envelope.payload.job_id);
      assert.deepEqual(leases.filter((l) => l.state === 'active'), []);
    });

    it('refuses a dynamic resolve and revokes the credential at Vault', async () => {
      const before = new Set(vault.state.leases.keys());
      const { envelope, err } = await race({ db: 'cref://tenant_abc/db/readonly' });
      assert.equal(err.code, 'expired');
      const line = (await gw.auditLines()).find((l) => l.request_id === err.requestId && l.outcome !== 'granted');
      assert.equal(line?.step, 'commit');
      const minted = [...vault.state.leases.keys()].filter((id) => !before.has(id));
      assert.equal(minted.length, 1, 'Vault minted the credential while the job was completing');
      await until('the credential revoked at Vault', async () => {
        await runRevocations(gw.gateway.services, 'test');
        return vault.leaseState(minted[0]!) === 'revoked' ? true : undefined;
      });
      const leases = await gw.gateway.services.state.leases.listByJob(envelope.payload.job_id);
      assert.deepEqual(leases.filter((l) => l.state === 'active'), []);
    });

    it('still grants a resolve that commits before the completion, and the completion revokes it', async () => {
      const before = new Set(vault.state.leases.keys());
      const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { db: 'cref://tenant_abc/db/readonly', s: 'cref://tenant_abc/vault/ci' }, ttl: 600 });
      const { secrets } = await executor.resolve(envelope);
      assert.equal(secrets.s!.value, 'vault-static-value-race');
      const done = await coordinator.completeJob(envelope.payload.job_id);
      assert.equal(done.revoked_leases, 2);
      const completion = (await gw.auditLines()).find((l) => l.action === 'job.complete' && l.job_id === envelope.payload.job_id);
      assert.equal(completion?.tenant, 'tenant_abc', 'the completion names its tenant');
      for (const s of Object.values(secrets)) assert.equal((await gw.gateway.services.state.leases.get(s.lease_id))?.state, 'revoked');
      const minted = [...vault.state.leases.keys()].filter((id) => !before.has(id));
      await until('the credential revoked at Vault', async () => {
        await runRevocations(gw.gateway.services, 'test');
        return minted.every((id) => vault.leaseState(id) === 'revoked') ? true : undefined;
      });
    });
  });
}
