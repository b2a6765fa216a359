/**
 * Issue 15.3 end to end (Redis state): backend revocations are never lost. (1) The queue is broken (its Redis key
 * holds a wrong type, so every XADD fails) while a job completes: the completion still ends the lease, its
 * revocation stays recorded in the job's slot, and once the queue works the sweep moves it there and the worker
 * revokes at Vault. Before the fix the enqueue failed after the lease had left `active` and the revocation was
 * lost for good. (2) Vault refuses the revoke twice: the worker retries with backoff until it succeeds, and every
 * outcome is an audit line carrying the tenant.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { CrefgateClient } from '../../src/client/index.ts';
import { sweepExpiredLeases } from '../../src/leases/expiry_sweeper.ts';
import { backoffMs, runRevocations } from '../../src/leases/revocation_worker.ts';
import { startVaultEmulator, type VaultEmulator } from '../adapters/vault/emulator/server.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { vaultDbRoute, vaultMount } from '../helpers/vault_mount.ts';

describe('backend revocations are never lost (Redis state)', function () {
  this.timeout(30_000);
  let vault: VaultEmulator;
  let gw: TestGateway;
  let redis: Redis;
  let coordinator: CrefgateClient;
  let executor: CrefgateClient;
  const prefix = `rf${randomBytes(4).toString('hex')}:`;
  const keyFile = path.join(tmpdir(), `crefgate-rf-${randomBytes(6).toString('hex')}`);

  before(async () => {
    vault = await startVaultEmulator();
    vault.addDynamicRole('database', 'readonly', { defaultTtl: 3600, maxTtl: 7200 });
    process.env.CREFGATE_RF_VAULT_TOKEN = vault.rootToken;
    await writeFile(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    gw = await startGateway({
      gateway: { workers: false },
      mutate: (c) => {
        c.mounts.vault = vaultMount(vault.url, 'CREFGATE_RF_VAULT_TOKEN', { timeoutMs: 2000, breaker: { failure_threshold: 100, cooldown_ms: 10 } });
        c.routes.unshift(vaultDbRoute());
        c.state = { kind: 'redis', redis: { url: process.env.REDIS_URL, key_prefix: prefix, command_timeout_ms: 500, connect_timeout_ms: 2000, master_keys: [{ key_id: 'k1', file: keyFile }] } };
      },
    });
    redis = new Redis(process.env.REDIS_URL!);
    coordinator = gw.client('coordinator');
    executor = gw.client('executor');
  });
  after(async () => {
    redis?.disconnect();
    await gw?.close();
    await vault?.close();
    await rm(keyFile, { force: true });
    delete process.env.CREFGATE_RF_VAULT_TOKEN;
  });

  async function resolveDynamic(): Promise<{ jobId: string; vaultLease: string }> {
    const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { db: 'cref://tenant_abc/db/readonly' }, ttl: 600 });
    const before = new Set(vault.state.leases.keys());
    await executor.resolve(envelope);
    const minted = [...vault.state.leases.keys()].filter((id) => !before.has(id));
    assert.equal(minted.length, 1);
    return { jobId: envelope.payload.job_id, vaultLease: minted[0]! };
  }

  it('keeps the revocation of a completed job while the queue fails, and revokes at Vault once it works', async () => {
    const { jobId, vaultLease } = await resolveDynamic();
    const stream = `${prefix}{rq}:stream`;
    await redis.del(stream);
    await redis.set(stream, 'not a stream');
    try {
      await coordinator.completeJob(jobId).catch(() => coordinator.completeJob(jobId));
      const leases = await gw.gateway.services.state.leases.listByJob(jobId);
      assert.deepEqual(leases.map((l) => l.state), ['revoked']);
    } finally {
      await redis.del(stream);
    }
    assert.equal(await runRevocations(gw.gateway.services, 'test'), 0, 'nothing reached the queue');
    assert.equal(vault.leaseState(vaultLease), 'active');
    gw.clock.advance(31_000);
    try {
      await sweepExpiredLeases(gw.gateway.services);
      assert.equal(await runRevocations(gw.gateway.services, 'test'), 1);
    } finally {
      gw.clock.advance(-31_000);
    }
    assert.equal(vault.leaseState(vaultLease), 'revoked');
  });

  it('revokes at Vault a dynamic credential minted for a resolve whose other cref failed (it never had a lease)', async () => {
    const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { db: 'cref://tenant_abc/db/readonly', gone: 'cref://tenant_abc/no_such_secret' }, ttl: 600 });
    const before = new Set(vault.state.leases.keys());
    await assert.rejects(executor.resolve(envelope));
    const minted = [...vault.state.leases.keys()].filter((id) => !before.has(id));
    assert.equal(minted.length, 1, 'the dynamic cref was issued before the other failed');
    assert.deepEqual(await gw.gateway.services.state.leases.listByJob(envelope.payload.job_id), [], 'no lease was recorded');
    assert.equal(await runRevocations(gw.gateway.services, 'test'), 1);
    assert.equal(vault.leaseState(minted[0]!), 'revoked');
    const line = (await gw.auditLines()).find((l) => l.action === 'revocation' && l.job_id === envelope.payload.job_id);
    assert.ok(line !== undefined, 'the revocation outcome is audited');
    assert.equal(line.outcome, 'ok');
    assert.equal((line.detail as Record<string, unknown>).cause, 'resolve_aborted');
  });

  it('retries a revoke that Vault refuses twice, auditing each outcome with the tenant', async () => {
    const { jobId, vaultLease } = await resolveDynamic();
    await coordinator.completeJob(jobId);
    let waited = 0;
    try {
      vault.setFault({ status: 503 });
      for (let attempt = 0; attempt < 2; attempt++) {
        assert.equal(await runRevocations(gw.gateway.services, 'test'), 0);
        gw.clock.advance(backoffMs(attempt) + 10);
        waited += backoffMs(attempt) + 10;
      }
      vault.setFault(null);
      // The retry set is scored on the gateway clock; Redis stream ids are not, so one real pass is enough.
      assert.equal(await runRevocations(gw.gateway.services, 'test'), 1);
    } finally {
      vault.setFault(null);
      gw.clock.advance(-waited);
    }
    assert.equal(vault.leaseState(vaultLease), 'revoked');
    const lines = (await gw.auditLines()).filter((l) => l.action === 'revocation' && l.job_id === jobId);
    assert.deepEqual(lines.map((l) => l.outcome), ['error', 'error', 'ok']);
    assert.ok(lines.every((l) => l.tenant === 'tenant_abc' && l.step !== undefined || l.outcome === 'ok'));
    assert.ok(lines.every((l) => l.tenant === 'tenant_abc'), 'every revocation outcome names its tenant');
  });
});
