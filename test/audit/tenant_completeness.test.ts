/**
 * Every event of a tenant's jobs belongs to that tenant: a tenant export (`audit export --tenant`) and the forensic
 * timeline (`audit query --tenant`) hold every event an unfiltered pass ties to the tenant's jobs and leases —
 * issue, resolve (granted and refused), lease renew and revoke, job completion, revocation outcomes — and none of
 * another tenant's.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportBundle } from '../../src/audit/verify/export_bundle.ts';
import { signerFromPem } from '../../src/audit/log/note.ts';
import { buildTimeline } from '../../src/forensics/timeline.ts';
import { startGateway } from '../helpers/gateway.ts';
import { tempFolder } from '../helpers/kit.ts';

interface Line {
  seq: number;
  action: string;
  outcome: string;
  tenant?: string;
  job_id?: string;
  lease_ids?: string[];
}

describe("a tenant's export and query hold every event of its jobs", function () {
  this.timeout(30_000);
  const gatewayFolder = tempFolder('crefgate-tenant-');
  const bundleFolder = tempFolder('crefgate-tenant-bundle-');

  it('compared against an unfiltered pass over the same log', async () => {
    const dir = gatewayFolder.path;
    const logPath = path.join(dir, 'audit', 'crefgate.log');
    const gw = await startGateway({
      mutate: (config) => {
        config.audit.sinks = [{ ...config.audit.sinks[0]!, path: logPath } as (typeof config.audit.sinks)[number]];
        config.audit.signing_key_file = path.join(dir, 'checkpoint.pem');
        // A key of the test's own, so the log stays verifiable after the gateway's folder is removed.
        writeFileSync(config.audit.signing_key_file, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
      },
    });
    const coordinator = gw.client('coordinator');
    const executor = gw.client('executor');
    const crefs = { g: 'cref://tenant_abc/github_token' };
    for (let i = 0; i < 3; i++) {
      const envelope = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 600 });
      const result = await executor.resolve(envelope, { hmacSecrets: gw.hmac });
      await executor.resolve(envelope).catch(() => undefined); // a replay: refused, and still the tenant's event
      const lease = result.secrets.g!.lease_id;
      if (i === 0) await coordinator.renewLease(lease, 30).catch(() => undefined);
      if (i === 1) await coordinator.revokeLease(lease);
      await coordinator.completeJob(envelope.payload.job_id);
    }
    await coordinator.issueJob({ tenant: 'tenant_xyz', executor: 'exec-01', crefs: { g: 'cref://tenant_xyz/github_token' }, ttl: 600 }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500)); // revocation outcomes are recorded by the worker
    await gw.close();

    const lines = readFileSync(logPath, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line);
    const jobs = new Set(lines.filter((l) => l.action === 'job.issue' && l.tenant === 'tenant_abc').map((l) => l.job_id!));
    const leases = new Set(lines.filter((l) => l.job_id !== undefined && jobs.has(l.job_id)).flatMap((l) => l.lease_ids ?? []));
    const expected = lines.filter((l) => (l.job_id !== undefined && jobs.has(l.job_id)) || (l.lease_ids ?? []).some((id) => leases.has(id)));
    assert.equal(jobs.size, 3);
    const actions = new Set(expected.map((l) => l.action));
    for (const action of ['job.issue', 'resolve', 'lease.renew', 'lease.revoke', 'job.complete']) assert.ok(actions.has(action), `the workload has ${action}`);
    const missingTenant = expected.filter((l) => l.tenant !== 'tenant_abc').map((l) => `${l.seq} ${l.action} ${l.outcome}`);
    assert.deepEqual(missingTenant, [], 'every event of the tenant\'s jobs names the tenant');

    const out = bundleFolder.path;
    await exportBundle({ logs: [logPath], out, format: 'ndjson', tenant: 'tenant_abc', signer: signerFromPem('crefgate/export', generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' })) });
    const exported = readFileSync(path.join(out, 'logs/0/events.ndjson'), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line);
    const timeline = await buildTimeline([logPath], { tenant: 'tenant_abc' });
    assert.equal(timeline.ok, true);
    for (const [name, seqs] of [['export', exported.map((e) => e.seq)], ['query', timeline.events.map((e) => e.seq)]] as const) {
      const held = new Set(seqs);
      assert.deepEqual(expected.filter((l) => !held.has(l.seq)).map((l) => `${l.seq} ${l.action}`), [], `${name} misses events of the tenant's jobs`);
    }
    assert.ok(exported.every((e) => e.tenant === 'tenant_abc'), 'nothing of another tenant');
  });
});
