import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { CrefgateError, ExecutorSession, withExecutorSession, withRetries } from '../../src/client/index.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

describe('executor SDK: ExecutorSession', function () {
  this.timeout(30_000);
  let gw: TestGateway;
  const issue = (ttl: number) => gw.client('coordinator').issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { github: 'cref://tenant_abc/github_token' }, ttl });

  before(async () => {
    // Two-second static leases: renewals happen within the test.
    gw = await startGateway({ mutate: (config) => void (config.leases.static_lease_seconds = 2) });
  });
  after(async () => {
    await gw.close();
  });

  it('keeps a lease alive by renewing it, then completes the job, revoking it', async () => {
    const envelope = await issue(600);
    const session = await ExecutorSession.start(gw.client('executor'), envelope, { hmacSecrets: gw.hmac });
    const first = session.secrets.github!;
    assert.match(session.value('github') as string, /^ghp_demo_/);
    await delay(2500);
    const renewed = session.secrets.github!;
    assert.equal(renewed.lease_id, first.lease_id);
    assert.ok(renewed.expires_at > first.expires_at, 'renewed before it ran out');
    assert.ok(renewed.expires_at <= envelope.payload.expires_at);
    await session.complete();
    await session.complete(); // idempotent
    const lines = await gw.auditLines();
    assert.ok(lines.some((l) => l.action === 'lease.renew' && l.outcome === 'ok' && l.lease_ids?.[0] === first.lease_id));
    const completed = lines.filter((l) => l.action === 'job.complete' && l.job_id === envelope.payload.job_id);
    assert.equal(completed.length, 1);
    assert.deepEqual(completed[0]!.lease_ids, [first.lease_id]);
  });

  it('never renews past the job end', async () => {
    const envelope = await issue(3);
    const session = await ExecutorSession.start(gw.client('executor'), envelope);
    const issued = session.secrets.github!.expires_at;
    assert.ok(issued < envelope.payload.expires_at, 'the first lease ends before the job, so a renewal is needed');
    await delay(3500);
    const renewals = (await gw.auditLines()).filter((l) => l.action === 'lease.renew' && l.job_id === envelope.payload.job_id);
    // Without a renewal this case would prove nothing: the session must have renewed, up to the job end, not past it.
    assert.ok(renewals.length >= 1, 'the session renewed the lease at least once');
    assert.ok(renewals.every((l) => l.outcome === 'ok'), 'no renewal was refused for asking too much');
    assert.equal(session.secrets.github!.expires_at, envelope.payload.expires_at, 'the renewal was capped at the job end');
    await session.complete(); // the job has ended: completing it is not an error
  });

  it('never retries a resolve, and completes the job whatever the work did', async () => {
    const envelope = await issue(600);
    await assert.rejects(
      withExecutorSession(gw.client('executor'), envelope, async (session) => {
        assert.ok(session.secrets.github !== undefined);
        throw new Error('the job failed');
      }),
      /the job failed/,
    );
    const forJob = (await gw.auditLines()).filter((l) => l.job_id === envelope.payload.job_id);
    assert.equal(forJob.filter((l) => l.action === 'job.complete').length, 1);
    // A second presentation of the same envelope is refused once, not hammered.
    await assert.rejects(ExecutorSession.start(gw.client('executor'), envelope), (err: unknown) => err instanceof CrefgateError && err.code === 'expired');
    const resolves = (await gw.auditLines()).filter((l) => l.action === 'resolve' && l.job_id === envelope.payload.job_id);
    assert.equal(resolves.length, 2);
  });

  it('retries transient failures only', async () => {
    let calls = 0;
    const flaky = () => {
      calls += 1;
      return calls < 3 ? Promise.reject(new CrefgateError(503, 'unavailable', 'try later', 'req_x')) : Promise.resolve('ok');
    };
    assert.equal(await withRetries(flaky, 4), 'ok');
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(withRetries(() => (calls++, Promise.reject(new CrefgateError(403, 'forbidden', 'no', 'req_y'))), 4));
    assert.equal(calls, 1);
  });
});
