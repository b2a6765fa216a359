/**
 * The pass after a state loss (src/leases/reconcile_after_loss.ts), decision by decision, against the in-memory
 * store and recording adapters (the real servers are in redis_lost_state_reconcile.test.ts): the orphan sweeper's
 * rules with cause `state_lost`, the grace waived only for a credential created before the loss whose job is now
 * unknown, the rest deferred to the periodic sweep (which revokes them once their grace passes), and per mount
 * what could not be listed and what bounds it.
 */
import assert from 'node:assert/strict';
import { AdapterError, type IssuedCredential, type JsonValue } from '../../adapters/contract.ts';
import type { AuditEventInput } from '../../src/audit/contract.ts';
import { ORPHAN_GRACE_MS, sweepOrphans } from '../../src/leases/orphan_sweeper.ts';
import { reconcileAfterLoss, reconciliationDetail } from '../../src/leases/reconcile_after_loss.ts';
import type { GatewayServices } from '../../src/services.ts';
import type { LeaseRecord } from '../../src/state/contract.ts';
import { createMemoryStateStore } from '../../src/state/memory/index.ts';

const LOST_AT = 1_900_000_000_000;
const HOUR = 3_600_000;

/** Mounts: a list of credentials (listable), 'down' (listing fails) or 'unlisted' (an adapter without listIssued). */
function rig(listed: Record<string, IssuedCredential[] | 'down' | 'unlisted'>) {
  let now = LOST_AT + 2000;
  const state = createMemoryStateStore({ now: () => now });
  const revoked: string[] = [];
  const events: AuditEventInput[] = [];
  const adapter = (mount: string) => {
    const credentials = listed[mount]!;
    const revoke = async ({ handle }: { handle: JsonValue }) => {
      revoked.push((handle as { username: string }).username);
      return { user: (handle as { username: string }).username, user_dropped: true };
    };
    if (credentials === 'unlisted') return { issue: async () => ({}), revoke };
    return {
      issue: async () => ({}),
      revoke,
      listIssued: async () => {
        if (credentials === 'down') throw new AdapterError('unavailable', 'postgres list: ECONNREFUSED');
        // What was revoked is gone from the backend, as after a DROP USER.
        return credentials.filter((c) => !revoked.includes(c.id));
      },
    };
  };
  const services = {
    // The gated store would refuse during recovery: the pass must read the one it is handed, never this.
    state: new Proxy({}, { get: () => assert.fail('the pass read the gated store') }),
    now: () => now,
    replica: 'test',
    mounts: { has: (m: string) => m in listed, get: (m: string) => adapter(m) },
    audit: { record: async (e: AuditEventInput) => void events.push(e) },
  } as unknown as GatewayServices;
  return { state, services, revoked, events, advance: (ms: number) => void (now += ms) };
}

const user = (id: string, jobId: string, createdAt: number): IssuedCredential => ({
  id, handle: { username: id, job_expires_at: LOST_AT + HOUR, role: 'readonly' }, jobId, jobExpiresAt: LOST_AT + HOUR, createdAt,
});
const job = (jobId: string) => ({ jobId, tenant: 'tenant_abc', executor: 'exec-01', coordinator: 'ci', crefs: {}, issuedAt: LOST_AT + 500, expiresAt: LOST_AT + HOUR });
const lease = (jobId: string, username: string): LeaseRecord => ({
  leaseId: `lease_${username.padEnd(20, 'x')}`, jobId, tenant: 'tenant_abc', executor: 'exec-01', alias: 'db', cref: 'cref://tenant_abc/pg/readonly', mount: 'pg',
  issuedAt: LOST_AT + 600, expiresAt: LOST_AT + HOUR, jobExpiresAt: LOST_AT + HOUR, renewable: true, revocable: true, handle: { username, job_expires_at: LOST_AT + HOUR, role: 'readonly' }, state: 'active', renewals: 0,
});

describe('reconciliation after a state loss', () => {
  it('revokes a just-issued pre-loss user whose job is gone at once; defers young ones that a resolve may still own; keeps leased ones', async () => {
    const r = rig({
      pg: [
        user('cg_old_lost', 'job_lost_a', LOST_AT - ORPHAN_GRACE_MS - 1),
        user('cg_just_before', 'job_lost_b', LOST_AT - 1000),
        user('cg_at_loss', 'job_lost_c', LOST_AT),
        user('cg_after_unknown', 'job_never', LOST_AT + 1),
        user('cg_inflight', 'job_new', LOST_AT + 700),
        user('cg_leased', 'job_new', LOST_AT + 600),
      ],
    });
    await r.state.jobs.create(job('job_new'));
    await r.state.leases.put([lease('job_new', 'cg_leased')]);
    const result = await reconcileAfterLoss(r.services, [{ name: 'pg', kind: 'postgres' }], { state: r.state, lostAt: LOST_AT });
    assert.deepEqual(result.pg, { status: 'reconciled', listed: 6, revoked: 3, failed: 0, deferred: 2 });
    assert.deepEqual(r.revoked.sort(), ['cg_at_loss', 'cg_just_before', 'cg_old_lost']);
    for (const e of r.events) {
      assert.deepEqual({ action: e.action, outcome: e.outcome, cause: e.detail!.cause, orphan: e.detail!.orphan }, { action: 'revocation', outcome: 'ok', cause: 'state_lost', orphan: 'job_unknown' });
    }
    assert.deepEqual(r.events.map((e) => e.job_id).sort(), ['job_lost_a', 'job_lost_b', 'job_lost_c']);

    // The periodic sweep keeps its grace for what was deferred, then revokes what is still unowned.
    assert.equal(await sweepOrphans({ ...r.services, state: r.state }, ['pg']), 0);
    r.advance(ORPHAN_GRACE_MS);
    assert.equal(await sweepOrphans({ ...r.services, state: r.state }, ['pg']), 2);
    assert.deepEqual(r.revoked.slice(3).sort(), ['cg_after_unknown', 'cg_inflight']);
    assert.ok(!r.revoked.includes('cg_leased'));
  });

  it('the periodic sweep alone leaves a pre-loss user alone for the whole grace (why the pass after a loss exists)', async () => {
    const r = rig({ pg: [user('cg_just_before', 'job_lost', LOST_AT - 1000)] });
    assert.equal(await sweepOrphans({ ...r.services, state: r.state }, ['pg']), 0);
    assert.deepEqual(r.revoked, []);
  });

  it('reports per mount: not listable with what bounds it, a failed listing, and still reconciles the rest', async () => {
    const r = rig({ vault: 'unlisted', sts: 'unlisted', gh: 'unlisted', plug: 'unlisted', down: 'down', pg: [user('cg_lost', 'job_lost', LOST_AT - 10)] });
    const mounts = [
      { name: 'vault', kind: 'vault' }, { name: 'sts', kind: 'aws-sts' }, { name: 'gh', kind: 'github-app' }, { name: 'plug', kind: 'acme-db' },
      { name: 'down', kind: 'mysql' }, { name: 'pg', kind: 'postgres' },
    ];
    const result = await reconcileAfterLoss(r.services, mounts, { state: r.state, lostAt: LOST_AT });
    const bound = (m: string) => (result[m] as { bounded_by: string }).bounded_by;
    assert.match(bound('vault'), /Vault lease TTL/);
    assert.match(bound('sts'), /STS session duration/);
    assert.match(bound('gh'), /within one hour/);
    assert.match(bound('plug'), /acme-db backend's own credential lifetime/);
    assert.deepEqual(result.down, { status: 'list_failed', error: 'unavailable: postgres list: ECONNREFUSED' });
    assert.deepEqual(result.pg, { status: 'reconciled', listed: 1, revoked: 1, failed: 0, deferred: 0 });
    assert.deepEqual(reconciliationDetail(result).unreconciled_mounts, ['vault', 'sts', 'gh', 'plug', 'down']);
  });

  it('counts a revocation the backend refused as failed, audited as an error, and does not throw', async () => {
    const r = rig({ pg: [user('cg_lost', 'job_lost', LOST_AT - 10)] });
    const services = { ...r.services, mounts: { has: () => true, get: () => ({ listIssued: async () => [user('cg_lost', 'job_lost', LOST_AT - 10)], revoke: async () => { throw new AdapterError('unavailable', 'postgres revoke: ECONNRESET'); } }) } } as unknown as GatewayServices;
    const result = await reconcileAfterLoss(services, [{ name: 'pg', kind: 'postgres' }], { state: r.state, lostAt: LOST_AT });
    assert.deepEqual(result.pg, { status: 'reconciled', listed: 1, revoked: 0, failed: 1, deferred: 0 });
    assert.deepEqual({ outcome: r.events[0]?.outcome, step: r.events[0]?.step, cause: r.events[0]?.detail?.cause }, { outcome: 'error', step: 'backend', cause: 'state_lost' });
  });
});
