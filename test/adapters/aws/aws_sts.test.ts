/**
 * The STS adapter against the wire-level emulator, through the real @aws-sdk/client-sts. The shared suite runs
 * its issue-only cases in aws_sts_conformance.test.ts; these focused tests cover the AssumeRole parameters and
 * assert what crossed the wire.
 */
import assert from 'node:assert/strict';
import { StsEmulator } from './emulator/sts.ts';
import type { IssueRequest, JobContext, SecretAdapter } from '../../../adapters/contract.ts';
import { rejectsKind, signal, stsOn, TEST_ACCESS_KEY_ID } from './aws_fixture.ts';

const ROLE = 'arn:aws:iam::210987654321:role/ci/deployer';
const job: JobContext = { jobId: 'job-7f3a', tenant: 'tenant_abc', executor: 'exec-01', expiresAt: Date.now() + 3_600_000 };
const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] };

function issueRequest(overrides: Partial<IssueRequest> = {}): IssueRequest {
  return { path: ROLE, maxTtlSeconds: 1800, job, signal: signal(), ...overrides };
}

describe('aws sts adapter', () => {
  let emulator: StsEmulator;
  let endpoint: string;
  let adapter: SecretAdapter;
  beforeEach(async () => {
    emulator = new StsEmulator();
    endpoint = await emulator.start();
    adapter = await stsOn(endpoint);
  });
  afterEach(async () => {
    await adapter.close();
    await emulator.close();
  });

  it('issues a flat credential map; the handle is JSON without secrets; not revocable, not renewable', async () => {
    const cred = await adapter.issue!(issueRequest());
    const value = cred.value as Record<string, string>;
    assert.deepEqual(Object.keys(value).sort(), ['access_key_id', 'expiration', 'secret_access_key', 'session_token']);
    assert.match(value.access_key_id!, /^ASIA/);
    assert.equal(cred.revocable, false);
    assert.equal(cred.renewable, false);
    assert.equal(adapter.revoke, undefined, 'STS sessions cannot be revoked one by one');
    assert.equal(adapter.renew, undefined);
    assert.deepEqual(cred.handle, { role_arn: ROLE, session_name: 'job-7f3a', expiration: value.expiration });
    const handleText = JSON.stringify(cred.handle);
    for (const key of ['access_key_id', 'secret_access_key', 'session_token'] as const) assert.ok(!handleText.includes(value[key]!));
    assert.ok(cred.leaseDuration > 1790 && cred.leaseDuration <= 1800, `leaseDuration ${cred.leaseDuration}`);
    assert.equal(emulator.signedBy.at(-1)?.accessKeyId, TEST_ACCESS_KEY_ID);
    assert.equal(emulator.signedBy.at(-1)?.service, 'sts');
  });

  it('clamps DurationSeconds on the wire to [900, max_session_seconds]', async () => {
    const durations: Record<number, number> = { 1: 900, 300: 900, 899.5: 900, 900: 900, 1800: 1800, 2400.2: 2401, 3600: 3600, 86400: 3600 };
    for (const [maxTtl, expected] of Object.entries(durations)) {
      await adapter.issue!(issueRequest({ maxTtlSeconds: Number(maxTtl) }));
      assert.equal(emulator.lastAssumeRole?.DurationSeconds, expected, `maxTtlSeconds ${maxTtl}`);
    }
    emulator.maxSessionSeconds = 43_200;
    const long = await stsOn(endpoint, { max_session_seconds: 7200 });
    await long.issue!(issueRequest({ maxTtlSeconds: 86_400 }));
    assert.equal(emulator.lastAssumeRole?.DurationSeconds, 7200);
    await long.close();
  });

  it('still asks for 900 s when the job has less left, and says so in leaseDuration', async () => {
    // The gateway caps its own lease at the job end; STS cannot issue anything shorter than 15 minutes.
    const cred = await adapter.issue!(issueRequest({ maxTtlSeconds: 60 }));
    assert.equal(emulator.lastAssumeRole?.DurationSeconds, 900);
    assert.ok(cred.leaseDuration > 890 && cred.leaseDuration <= 900);
  });

  it('puts tenant, executor and job in session tags, SourceIdentity and RoleSessionName', async () => {
    await adapter.issue!(issueRequest());
    const call = emulator.lastAssumeRole!;
    assert.equal(call.RoleArn, ROLE);
    assert.equal(call.RoleSessionName, 'job-7f3a');
    assert.equal(call.SourceIdentity, 'tenant_abc.exec-01.job-7f3a');
    assert.deepEqual(call.Tags, [
      { Key: 'crefgate-tenant', Value: 'tenant_abc' },
      { Key: 'crefgate-executor', Value: 'exec-01' },
      { Key: 'crefgate-job', Value: 'job-7f3a' },
    ]);
    assert.equal(call.Policy, undefined);
    assert.equal(call.ExternalId, undefined);
  });

  it('derives a stable, STS-legal session name and source identity from an unusual job id', async () => {
    const odd = { ...job, jobId: 'job with spaces/and/slashes and a length well beyond sixty-four characters' };
    await adapter.issue!(issueRequest({ job: odd }));
    const first = emulator.lastAssumeRole!;
    assert.match(first.RoleSessionName!, /^job-[0-9a-f]{40}$/);
    assert.match(first.SourceIdentity!, /^cg-[0-9a-f]{40}$/);
    assert.equal(first.Tags[2]?.Value, odd.jobId, 'the tag keeps the job id verbatim when STS allows it');
    await adapter.issue!(issueRequest({ job: odd }));
    assert.equal(emulator.lastAssumeRole?.RoleSessionName, first.RoleSessionName);
  });

  it('sends the mount session policy, or the route one instead of it', async () => {
    const narrowed = await stsOn(endpoint, { session_policy: policy });
    await narrowed.issue!(issueRequest());
    assert.deepEqual(JSON.parse(emulator.lastAssumeRole!.Policy!), policy);
    const routePolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' }] };
    await narrowed.issue!(issueRequest({ routeOptions: { session_policy: routePolicy } }));
    assert.deepEqual(JSON.parse(emulator.lastAssumeRole!.Policy!), routePolicy);
    await narrowed.close();
    await adapter.issue!(issueRequest({ routeOptions: { session_policy: routePolicy } }));
    assert.deepEqual(JSON.parse(emulator.lastAssumeRole!.Policy!), routePolicy);
  });

  it('rejects bad route options and oversized policies before calling STS', async () => {
    const calls = emulator.assumeRoleCalls.length;
    await rejectsKind(adapter.issue!(issueRequest({ routeOptions: { session_polcy: policy } })), 'invalid_reference');
    await rejectsKind(adapter.issue!(issueRequest({ routeOptions: { session_policy: { Version: '2012-10-17' } } })), 'invalid_reference');
    const huge = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'x'.repeat(2100) }] };
    await rejectsKind(adapter.issue!(issueRequest({ routeOptions: { session_policy: huge } })), 'invalid_reference');
    assert.equal(emulator.assumeRoleCalls.length, calls);
  });

  it('resolves a bare role name through account_id and partition; refuses it without', async () => {
    const byName = await stsOn(endpoint, { account_id: '111122223333' });
    await byName.issue!(issueRequest({ path: 'tenant_abc-deployer' }));
    assert.equal(emulator.lastAssumeRole?.RoleArn, 'arn:aws:iam::111122223333:role/tenant_abc-deployer');
    await byName.close();
    await rejectsKind(adapter.issue!(issueRequest({ path: 'tenant_abc-deployer' })), 'invalid_reference');
    await rejectsKind(adapter.issue!(issueRequest({ path: 'arn:aws:iam::1:user/alice' })), 'invalid_reference');
  });

  it('sends ExternalId when the mount sets one', async () => {
    const external = await stsOn(endpoint, { external_id: 'crefgate-prod' });
    await external.issue!(issueRequest());
    assert.equal(emulator.lastAssumeRole?.ExternalId, 'crefgate-prod');
    await external.close();
  });

  it('refuses a field and an already aborted signal without calling STS', async () => {
    await rejectsKind(adapter.issue!(issueRequest({ field: 'access_key_id' })), 'invalid_reference');
    await rejectsKind(adapter.issue!(issueRequest({ signal: AbortSignal.abort() })), 'timeout');
    assert.equal(emulator.assumeRoleCalls.length, 0);
  });

  it('has no static read', async () => {
    const err = await rejectsKind(adapter.read({ path: ROLE, signal: signal() }), 'invalid_reference');
    assert.match(err.reason, /sts mounts issue only/);
  });

  it('maps AccessDenied, Throttling and server errors; AWS text stays in cause', async () => {
    emulator.deniedRoles.add(ROLE);
    const denied = await rejectsKind(adapter.issue!(issueRequest()), 'permission_denied');
    assert.ok(!denied.reason.includes('not authorized'));
    emulator.deniedRoles.clear();
    emulator.fault = 'throttled';
    assert.equal((await rejectsKind(adapter.issue!(issueRequest()), 'throttled')).retryable, true);
    emulator.fault = 'internal';
    assert.equal((await rejectsKind(adapter.issue!(issueRequest()), 'unavailable')).retryable, true);
  });

  it('reports a duration above the role maximum as invalid_reference', async () => {
    emulator.maxSessionSeconds = 1800;
    await rejectsKind(adapter.issue!(issueRequest({ maxTtlSeconds: 3600 })), 'invalid_reference');
  });

  it('times out on a hanging STS when the signal fires', async () => {
    emulator.fault = 'hang';
    await rejectsKind(adapter.issue!(issueRequest({ signal: AbortSignal.timeout(200) })), 'timeout');
  });

  it('health calls GetCallerIdentity, and fails when STS is gone', async () => {
    assert.deepEqual(await adapter.health(signal()), { ok: true, detail: 'caller identity verified' });
    await emulator.close();
    const report = await adapter.health(signal());
    assert.equal(report.ok, false);
    assert.match(report.detail ?? '', /unreachable/);
  });
});
