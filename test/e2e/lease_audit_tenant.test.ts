/**
 * Issue 16.3 (the part in jobs, leases and resolve): every audit event about a job or a lease names its tenant,
 * refusals included once the job or lease is known: another executor renewing, revoking or completing, and the
 * completion itself.
 */
import assert from 'node:assert/strict';
import { refused } from '../helpers/assertions.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { addSecondExecutor } from '../helpers/second_executor.ts';

describe('job and lease audit events carry the tenant', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway();
    await addSecondExecutor(gw);
  });
  after(async () => gw?.close());

  it('names the tenant in refused renew, revoke and complete, and in the completion', async () => {
    const envelope = await gw.client('coordinator').issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 });
    const { secrets } = await gw.client('executor').resolve(envelope);
    const intruder = gw.client('exec-02');
    const lines = [
      await refused(gw, intruder.renewLease(secrets.g!.lease_id, 60), 'forbidden', 'lease'),
      await refused(gw, intruder.revokeLease(secrets.g!.lease_id), 'forbidden', 'lease'),
      await refused(gw, intruder.completeJob(envelope.payload.job_id), 'forbidden', 'lease'),
    ];
    assert.deepEqual(lines.map((l) => [l.action, l.tenant, l.job_id]), [
      ['lease.renew', 'tenant_abc', envelope.payload.job_id],
      ['lease.revoke', 'tenant_abc', envelope.payload.job_id],
      ['job.complete', 'tenant_abc', envelope.payload.job_id],
    ]);
    await gw.client('executor').completeJob(envelope.payload.job_id);
    const done = (await gw.auditLines()).find((l) => l.action === 'job.complete' && l.outcome === 'ok' && l.job_id === envelope.payload.job_id);
    assert.equal(done?.tenant, 'tenant_abc');
  });
});
