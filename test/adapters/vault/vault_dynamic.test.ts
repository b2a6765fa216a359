/** Vault dynamic credentials against emulator leases that really expire: issue, renew, revoke. */
import assert from 'node:assert/strict';
import type { DynamicSecret, IssueRequest } from '../../../adapters/contract.ts';
import { vaultRig, type VaultTestRig } from './vault_fixture.ts';
import { rejectsKind } from '../../helpers/adapter_errors.ts';
import { signal } from '../../helpers/kit.ts';

const job = { jobId: 'job-7', tenant: 'tenant_abc', executor: 'exec-01', expiresAt: Date.now() + 3_600_000 };
const issueRequest = (path: string, extra: Partial<IssueRequest> = {}): IssueRequest => ({ path, maxTtlSeconds: 1800, job, signal: signal(), ...extra });
const leaseId = (cred: DynamicSecret): string => (cred.handle as { lease_id: string }).lease_id;

describe('vault adapter: dynamic credentials', () => {
  let rig: VaultTestRig;
  beforeEach(async () => {
    rig = await vaultRig();
    rig.emulator.addDynamicRole('database', 'short', { defaultTtl: 60, maxTtl: 300 });
    rig.emulator.addDynamicRole('aws', 'deploy', { defaultTtl: 900, maxTtl: 3600 });
  });
  afterEach(() => rig.fixture.close());

  it('issues a username/password under a Vault lease; the handle is only the lease id', async () => {
    const cred = await rig.adapter.issue(issueRequest('database/creds/short'));
    assert.equal(rig.emulator.requests.at(-1)?.path, 'database/creds/short');
    assert.deepEqual(Object.keys(cred.value).sort(), ['password', 'username']);
    assert.deepEqual(Object.keys(cred.handle as object), ['lease_id']);
    assert.match(leaseId(cred), /^database\/creds\/short\//);
    assert.deepEqual([cred.leaseDuration, cred.renewable, cred.revocable], [60, true, true]);
    assert.equal(rig.emulator.leaseState(leaseId(cred)), 'active');
  });

  it('issues from any …/creds/<role> engine and selects a field', async () => {
    const cred = await rig.adapter.issue(issueRequest('aws/creds/deploy', { field: 'username' }));
    assert.equal(typeof cred.value, 'string');
    assert.match(cred.value as string, /^v-token-deploy-/);
  });

  it('revokes the lease Vault just granted when the requested field is not in the credential, so nothing outlives the refusal', async () => {
    await rejectsKind(rig.adapter.issue(issueRequest('database/creds/short', { field: 'nope' })), 'not_found');
    const leases = [...rig.emulator.state.leases.keys()].filter((id) => id.startsWith('database/creds/short/'));
    assert.equal(leases.length, 1, 'Vault granted one lease for the refused issue');
    assert.equal(rig.emulator.leaseState(leases[0]!), 'revoked');
  });

  it('refuses a path that is not …/creds/<role> as invalid_reference without calling Vault', async () => {
    const before = rig.emulator.requests.length;
    for (const path of ['secret/data/x', 'database/creds', 'creds/x', 'database/creds/x/y', 'database/creds/../../sys/raw']) {
      await rejectsKind(rig.adapter.issue(issueRequest(path)), 'invalid_reference');
    }
    assert.equal(rig.emulator.requests.length, before);
  });

  it('maps an unknown role (Vault answers 400) to invalid_reference', async () => {
    await rejectsKind(rig.adapter.issue(issueRequest('database/creds/nope')), 'invalid_reference');
  });

  it('renews with PUT sys/leases/renew and the increment; Vault caps it at the role max TTL', async () => {
    const cred = await rig.adapter.issue(issueRequest('database/creds/short'));
    const renewed = await rig.adapter.renew({ handle: cred.handle, incrementSeconds: 120, signal: signal() });
    assert.equal(renewed.leaseDuration, 120);
    const sent = rig.emulator.requests.at(-1);
    assert.deepEqual([sent?.method, sent?.path, sent?.body], ['PUT', 'sys/leases/renew', { lease_id: leaseId(cred), increment: 120 }]);
    rig.emulator.advance(100);
    const capped = await rig.adapter.renew({ handle: cred.handle, incrementSeconds: 1000, signal: signal() });
    // Max TTL 300 s from issue, 100 s in (the emulator clock also ticks in real time, hence 199 or 200).
    assert.ok(capped.leaseDuration >= 199 && capped.leaseDuration <= 200, String(capped.leaseDuration));
  });

  it('a lease that expired on the emulator clock cannot be renewed: not_found', async () => {
    const cred = await rig.adapter.issue(issueRequest('database/creds/short'));
    rig.emulator.advance(61);
    assert.equal(rig.emulator.leaseState(leaseId(cred)), 'expired');
    await rejectsKind(rig.adapter.renew({ handle: cred.handle, incrementSeconds: 60, signal: signal() }), 'not_found');
  });

  it('revokes with PUT sys/leases/revoke; revoking again, or an unknown lease, succeeds', async () => {
    const cred = await rig.adapter.issue(issueRequest('database/creds/short'));
    await rig.adapter.revoke({ handle: cred.handle, signal: signal() });
    const sent = rig.emulator.requests.at(-1);
    assert.deepEqual([sent?.method, sent?.path, sent?.body], ['PUT', 'sys/leases/revoke', { lease_id: leaseId(cred) }]);
    assert.deepEqual(rig.emulator.revokedLeases(), [leaseId(cred)]);
    await rig.adapter.revoke({ handle: cred.handle, signal: signal() });
    await rig.adapter.revoke({ handle: { lease_id: 'database/creds/short/never-existed' }, signal: signal() });
    await rejectsKind(rig.adapter.renew({ handle: cred.handle, incrementSeconds: 60, signal: signal() }), 'not_found');
  });

  it('treats a 400 "lease not found" on revoke as already revoked, but not other errors', async () => {
    rig.emulator.setFault({ status: 400, message: 'lease not found' });
    await rig.adapter.revoke({ handle: { lease_id: 'database/creds/short/x' }, signal: signal() });
    rig.emulator.setFault({ status: 500 });
    await rejectsKind(rig.adapter.revoke({ handle: { lease_id: 'database/creds/short/x' }, signal: signal() }), 'unavailable');
    rig.emulator.setFault({ status: 403 });
    await rejectsKind(rig.adapter.revoke({ handle: { lease_id: 'database/creds/short/x' }, signal: signal() }), 'permission_denied');
  });

  it('refuses a handle without a lease id', async () => {
    await rejectsKind(rig.adapter.revoke({ handle: { nope: 1 }, signal: signal() }), 'invalid_reference');
    await rejectsKind(rig.adapter.renew({ handle: null, incrementSeconds: 1, signal: signal() }), 'invalid_reference');
  });
});
