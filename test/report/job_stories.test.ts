/** Job stories across replicas: leases tied to their job, and every way a lease can end, at the gateway and the backend. */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { AuditEventInput } from '../../src/audit/contract.ts';
import { createAuditTrail } from '../../src/audit/index.ts';
import { generateReport } from '../../src/audit/report/generate_report.ts';
import { auditFixture, writeSigningKey } from '../audit/helpers.ts';

const executor = { type: 'executor' as const, id: 'exec-01', auth: 'mtls' as const };
const system = (replica: string) => ({ type: 'system' as const, id: replica, auth: 'system' as const });
const job = { tenant: 'tenant_abc', job_id: 'job_A', executor: 'exec-01' };

/** Two replicas' logs in one folder: the job is issued on one, resolved and revoked on the other. */
async function twoReplicas(): Promise<string> {
  const one = auditFixture({ origin: 'crefgate/replica-1' });
  const dir = path.dirname(one.logPath);
  const two = auditFixture({ origin: 'crefgate/replica-2', sinks: [{ type: 'file', path: path.join(dir, 'replica-2.log') }] });
  let clock = Date.parse('2025-11-23T10:00:00.000Z');
  const now = () => clock;
  const first = await createAuditTrail({ ...one.config, signing_key_file: writeSigningKey(one.dir) }, { configDir: one.dir, now });
  const second = await createAuditTrail({ ...two.config, signing_key_file: writeSigningKey(two.dir) }, { configDir: two.dir, now });
  const at = async (trail: typeof first, event: AuditEventInput) => {
    clock += 1000;
    await trail.record(event);
  };
  await at(first, { action: 'job.issue', outcome: 'granted', actor: { type: 'coordinator', id: 'ci', auth: 'mtls' }, ...job, crefs: ['cref://tenant_abc/db/ro', 'cref://tenant_abc/gh', 'cref://tenant_abc/npm'] });
  await at(second, { action: 'resolve', outcome: 'granted', actor: executor, ...job, lease_ids: ['lease_db', 'lease_gh', 'lease_npm'] });
  await at(second, { action: 'lease.renew', outcome: 'ok', actor: executor, ...job, lease_ids: ['lease_gh'] });
  await at(first, { action: 'lease.expire', outcome: 'ok', actor: system('replica-1'), lease_ids: ['lease_npm'] });
  await at(second, { action: 'job.complete', outcome: 'ok', actor: executor, job_id: 'job_A', lease_ids: ['lease_db', 'lease_gh'] });
  await at(second, { action: 'revocation', outcome: 'error', step: 'backend', reason: 'vault unavailable', actor: system('replica-2'), lease_ids: ['lease_db'], detail: { mount: 'vault', cause: 'job_complete', attempts: 1 } });
  await at(first, { action: 'revocation', outcome: 'ok', actor: system('replica-1'), lease_ids: ['lease_db'], detail: { mount: 'vault', cause: 'job_complete', attempts: 2, backend: { lease_revoked: 'database/creds/ro/abc', sessions_ended: 2, password: 'leaked-by-a-careless-adapter' } } });
  await at(first, { action: 'revocation', outcome: 'error', step: 'backend', reason: 'mount gone', actor: system('replica-1'), lease_ids: ['lease_npm'], detail: { mount: 'aws', cause: 'expired', attempts: 3 } });
  await first.close();
  await second.close();
  return dir;
}

describe('audit report job stories', () => {
  it('follows a job across replicas to the revocation outcome of each lease', async () => {
    const { data, verify } = await generateReport(await twoReplicas(), { graceMs: 10 * 365 * 86_400_000 });
    assert.equal(verify.ok, true, JSON.stringify(verify));
    assert.equal(data.verification.logs.length, 2);
    assert.equal(data.jobs.length, 1);
    const story = data.jobs[0]!;
    assert.deepEqual(story.origins.sort(), ['crefgate/replica-1', 'crefgate/replica-2']);
    assert.equal(story.events.length, 8, 'the lease-only events are part of the story');
    assert.deepEqual([story.issued, story.resolves, story.renewals], [true, { granted: 1, refused: 0 }, 1]);
    const outcome = Object.fromEntries(story.leases.map((l) => [l.lease_id, l.outcome]));
    assert.match(outcome.lease_db!, /^job completed at 2025-11-23T10:00:05.000Z; revoked at backend mount vault \(crefgate\/replica-1, 2025-11-23T10:00:07.000Z, attempt 2\): lease_revoked=database\/creds\/ro\/abc, sessions_ended=2$/);
    assert.match(outcome.lease_gh!, /^job completed at .*; no backend revocation recorded$/);
    assert.match(outcome.lease_npm!, /^expired at 2025-11-23T10:00:04.000Z; revocation FAILED at backend mount aws \(crefgate\/replica-1, .*, attempt 3\): mount gone$/);
    assert.ok(!JSON.stringify(data).includes('leaked-by-a-careless-adapter'), 'secret-sounding detail members are dropped at any depth');
    const revocations = data.events.filter((e) => e.action === 'revocation');
    assert.ok(revocations.every((e) => e.job_id === 'job_A' && e.via_lease === true && e.tenant === 'tenant_abc'), 'filled in from the job, and marked');
  });
});
