/**
 * The orphan sweeper's decisions, one per reason, against the in-memory state store and a recording adapter (the
 * real servers are swept in db_gateway.test.ts): what it removes, what it keeps, how it audits, and that a mount
 * it cannot list does not stop the others.
 */
import assert from 'node:assert/strict';
import { AdapterError, type IssuedCredential, type JsonValue } from '../../../adapters/contract.ts';
import type { AuditEventInput } from '../../../src/audit/contract.ts';
import { ORPHAN_GRACE_MS, sweepOrphans } from '../../../src/leases/orphan_sweeper.ts';
import type { GatewayServices } from '../../../src/services.ts';
import type { LeaseRecord } from '../../../src/state/contract.ts';
import { createMemoryStateStore } from '../../../src/state/memory/index.ts';

const NOW = 1_900_000_000_000;
const HOUR = 3_600_000;

function rig(listed: Record<string, IssuedCredential[] | 'down'>) {
  const state = createMemoryStateStore({ now: () => NOW });
  const revoked: Array<{ mount: string; handle: JsonValue }> = [];
  const events: AuditEventInput[] = [];
  const adapter = (mount: string) => ({
    kind: 'postgres',
    listIssued: async () => {
      const credentials = listed[mount]!;
      if (credentials === 'down') throw new AdapterError('unavailable', 'postgres list: ECONNREFUSED');
      return credentials;
    },
    revoke: async ({ handle }: { handle: JsonValue }) => {
      revoked.push({ mount, handle });
      return { user: (handle as { username: string }).username, sessions_terminated: 0, user_dropped: true, already_gone: false };
    },
  });
  const services = {
    state,
    now: () => NOW,
    replica: 'test',
    mounts: { has: (m: string) => m in listed, get: (m: string) => adapter(m) },
    audit: { record: async (e: AuditEventInput) => void events.push(e) },
  } as unknown as GatewayServices;
  return { state, services, revoked, events };
}

const user = (id: string, jobId: string | undefined, extra: Partial<IssuedCredential> = {}): IssuedCredential => ({
  id, handle: { username: id, job_expires_at: NOW + HOUR, role: '' }, jobId, jobExpiresAt: jobId === undefined ? undefined : NOW + HOUR, createdAt: NOW - ORPHAN_GRACE_MS - 1, ...extra,
});
const job = (jobId: string) => ({ jobId, tenant: 'tenant_abc', executor: 'exec-01', coordinator: 'ci', crefs: {}, issuedAt: NOW - 1000, expiresAt: NOW + HOUR });
const lease = (jobId: string, mount: string, username: string): LeaseRecord => ({
  leaseId: `lease_${username.padEnd(20, 'x')}`, jobId, tenant: 'tenant_abc', executor: 'exec-01', alias: username, cref: 'cref://tenant_abc/pg/readonly', mount,
  issuedAt: NOW - 1000, expiresAt: NOW + HOUR, jobExpiresAt: NOW + HOUR, renewable: true, revocable: true, handle: { username, job_expires_at: NOW + HOUR, role: 'readonly' }, state: 'active', renewals: 0,
});

describe('orphan sweeper decisions', () => {
  it('removes users with no intent, an unknown, completed or ended job, or no active lease; keeps leased and young ones', async () => {
    const r = rig({
      pg: [
        user('cg_leased', 'job_open'),
        user('cg_unleased', 'job_open'),
        user('cg_other_mount', 'job_open'),
        user('cg_young', 'job_unknown0', { createdAt: NOW - 1000 }),
        user('cg_no_intent', undefined, { createdAt: undefined }),
        user('cg_unknown', 'job_unknown1'),
        user('cg_completed', 'job_done'),
        user('cg_ended', 'job_open', { jobExpiresAt: NOW - 1 }),
      ],
    });
    await r.state.jobs.create(job('job_open'));
    await r.state.jobs.create(job('job_done'));
    await r.state.leases.put([lease('job_open', 'pg', 'cg_leased'), lease('job_open', 'other', 'cg_other_mount')]);
    await r.state.jobs.complete('job_done', NOW - 10);
    assert.equal(await sweepOrphans(r.services, ['pg']), 6);
    const reasons = Object.fromEntries(r.events.map((e) => [e.detail!.credential, e.detail!.orphan]));
    assert.deepEqual(reasons, {
      cg_unleased: 'no_lease', cg_other_mount: 'no_lease', cg_no_intent: 'no_intent', cg_unknown: 'job_unknown', cg_completed: 'job_completed', cg_ended: 'job_ended',
    });
    for (const e of r.events) {
      assert.equal(e.action, 'revocation');
      assert.equal(e.outcome, 'ok');
      assert.equal(e.detail!.cause, 'orphan');
      assert.deepEqual((e.detail!.backend as { user_dropped: boolean }).user_dropped, true);
    }
    assert.ok(!r.revoked.some((x) => ['cg_leased', 'cg_young'].includes((x.handle as { username: string }).username)));
  });

  it('keeps sweeping the other mounts when one cannot be listed, then reports that failure', async () => {
    const r = rig({ down: 'down', pg: [user('cg_unknown', 'job_gone')] });
    await assert.rejects(sweepOrphans(r.services, ['down', 'pg', 'not_a_mount']), (err: AdapterError) => err.kind === 'unavailable');
    assert.deepEqual(r.revoked.map((x) => x.mount), ['pg']);
  });
});
