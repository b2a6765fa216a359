/**
 * Audit faults: no secret leaves without its durable audit line. A real ENOSPC (the audit log on /dev/full), and
 * an audit trail that starts failing mid-run: every resolve and issuance then fails `unavailable`, nothing is
 * released, leases are rolled back, the nonce is not burned, and service resumes once the trail records again.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AuditEventInput, AuditTrail } from '../../src/audit/contract.ts';
import { createAuditTrail } from '../../src/audit/index.ts';
import { observableTrail } from '../../src/audit/trail/observer.ts';
import { CrefgateError, type Envelope } from '../../src/client/index.ts';
import { GatewayError } from '../../src/errors.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

const codeOf = (err: unknown) => (err instanceof CrefgateError ? err.code : String(err));

describe('audit faults', () => {
  it('refuses an audit log path that is not a regular file, at start-up', async () => {
    await assert.rejects(
      startGateway({ mutate: (config) => void (config.audit.sinks = [{ type: 'file', name: 'dev', required: true, path: '/dev/full' } as (typeof config.audit.sinks)[number]]) }),
      /not a regular file/,
    );
  });

  it('fails closed on a really full audit disk (ENOSPC on a small tmpfs), and recovers without restart when space returns', async function () {
    const disk = mkdtempSync(path.join(tmpdir(), 'crefgate-fulldisk-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48k', 'tmpfs', disk], { stdio: 'ignore' });
    } catch {
      rmSync(disk, { recursive: true, force: true });
      this.skip(); // needs root to mount a tmpfs
    }
    let gw: TestGateway | undefined;
    try {
      gw = await startGateway({
        mutate: (config) => void (config.audit.sinks = [{ type: 'file', name: 'file', required: true, path: `${disk}/audit.log` } as (typeof config.audit.sinks)[number]]),
      });
      const coordinator = gw.client('coordinator');
      const executor = gw.client('executor');
      const granted: string[] = [];
      let stuck: Envelope | undefined;
      let full = false;
      for (let i = 0; i < 400 && stuck === undefined; i++) {
        let envelope: Envelope;
        try {
          envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 });
        } catch (err) {
          assert.equal(codeOf(err), 'unavailable');
          full = true;
          break;
        }
        try {
          granted.push((await executor.resolve(envelope)).job_id);
        } catch (err) {
          assert.equal(codeOf(err), 'unavailable', 'a full disk answers unavailable');
          stuck = envelope;
          full = true;
        }
      }
      if (process.env.CREFGATE_TEST_DEBUG) console.log(`granted ${granted.length}, stuck on resolve: ${stuck !== undefined}`);
      assert.ok(full, 'the disk filled up and the gateway refused');
      assert.ok(granted.length > 0, 'resolves went through while there was space');
      const log = readFileSync(`${disk}/audit.log`, 'utf8');
      for (const job of granted) assert.ok(log.includes(`"job_id":"${job}"`) && log.includes('"outcome":"granted"'), `granted ${job} is in the audit log`);
      if (stuck !== undefined) {
        const leases = await gw.gateway.services.state.leases.listByJob(stuck.payload.job_id);
        assert.ok(leases.every((l) => l.state === 'revoked'), 'no lease survives an unaudited resolve');
      }
      // Space returns: the same gateway, no restart.
      execFileSync('mount', ['-o', 'remount,size=4m', disk], { stdio: 'ignore' });
      if (stuck !== undefined) {
        let ok = false;
        for (let i = 0; i < 50 && !ok; i++) {
          ok = await executor.resolve(stuck).then(() => true, () => false);
          if (!ok) await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(ok, 'the envelope refused on the full disk resolves once there is space');
      }
      const fresh = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 });
      await executor.resolve(fresh);
    } finally {
      await gw?.close().catch(() => undefined);
      try {
        execFileSync('umount', [disk], { stdio: 'ignore' });
      } catch {
        // already unmounted
      }
      rmSync(disk, { recursive: true, force: true });
    }
  });

  describe('a trail that starts failing mid-run', () => {
    let gw: TestGateway;
    let failing = false;
    let inner: AuditTrail | undefined;
    const wrapped: AuditTrail = observableTrail({
      record: (event: AuditEventInput) =>
        failing
          ? Promise.reject(new GatewayError('unavailable', { step: 'audit', reason: 'audit sink: ENOSPC (simulated)' }))
          : inner!.record(event),
      hash: (tenant, value) => inner!.hash(tenant, value),
      health: async () => (failing ? [{ name: 'file', required: true, ok: false, detail: 'ENOSPC' }] : inner!.health()),
      close: async () => inner?.close(),
    });

    before(async () => {
      gw = await startGateway({
        gateway: { audit: wrapped },
        mutate: () => undefined,
      });
      const { loadConfig } = await import('../../src/config/load.ts');
      const { config, configDir } = await loadConfig(`${gw.dir}/config.yaml`, {});
      inner = await createAuditTrail(config.audit, { configDir });
    });
    after(async () => {
      failing = false;
      await gw.close();
      await inner?.close();
    });

    it('answers unavailable, releases no secret, keeps no lease, burns no nonce, and recovers', async () => {
      const coordinator = gw.client('coordinator');
      const executor = gw.client('executor');
      const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token', d: 'cref://tenant_abc/db' }, ttl: 600 });
      failing = true;
      await assert.rejects(executor.resolve(envelope), (err) => codeOf(err) === 'unavailable');
      await assert.rejects(
        coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 }),
        (err) => codeOf(err) === 'unavailable',
      );
      const ready = await gw.gateway.services.audit.health();
      assert.equal(ready[0]!.ok, false, 'readiness sees the required sink down');
      const leases = await gw.gateway.services.state.leases.listByJob(envelope.payload.job_id);
      assert.ok(leases.every((l) => l.state === 'revoked'), 'leases recorded before the audit failure were rolled back');
      failing = false;
      const result = await executor.resolve(envelope);
      assert.ok(result.secrets.g && result.secrets.d, 'the same envelope resolves once the audit trail records again');
    });
  });
});
