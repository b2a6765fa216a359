/**
 * SIGKILL of one replica under load: every secret it released has its audit line, every lease it recorded
 * outlives it, no envelope is granted twice, and the surviving replica keeps serving without a restart.
 */
import assert from 'node:assert/strict';
import { CrefgateError, type Envelope } from '../../src/client/index.ts';
import { auditOf, startReplicas, type ReplicaSet } from '../helpers/replicas.ts';

describe('one replica killed under load', function () {
  this.timeout(90_000);
  let set: ReplicaSet;

  before(async () => {
    set = await startReplicas(2, process.env.REDIS_URL!);
  });
  after(async () => set?.close());

  it('loses no audit line or lease, grants nothing twice, and the survivor carries on', async () => {
    const [victim, survivor] = set.replicas as [typeof set.replicas[0], typeof set.replicas[0]];
    const coordinator = survivor.client('coordinator');
    const envelopes: Envelope[] = [];
    for (let i = 0; i < 120; i++) {
      envelopes.push(await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 }));
    }
    const onVictim = victim.client('executor');
    const onSurvivor = survivor.client('executor');
    const outcomes = new Map<string, { replica: string; status: 'granted' | 'refused' | 'cut'; leaseId?: string; code?: string }>();
    let next = 0;
    const worker = async (w: number) => {
      while (next < envelopes.length) {
        const envelope = envelopes[next++]!;
        const replica = w % 2 === 0 ? victim : survivor;
        const client = w % 2 === 0 ? onVictim : onSurvivor;
        try {
          const result = await client.resolve(envelope);
          outcomes.set(envelope.payload.job_id, { replica: replica.name, status: 'granted', leaseId: result.secrets.g!.lease_id });
        } catch (err) {
          outcomes.set(envelope.payload.job_id, err instanceof CrefgateError
            ? { replica: replica.name, status: 'refused', code: err.code }
            : { replica: replica.name, status: 'cut' });
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    await new Promise((r) => setTimeout(r, 300));
    await victim.kill('SIGKILL');
    await load;

    const victimGrants = [...outcomes].filter(([, o]) => o.replica === victim.name && o.status === 'granted');
    const survivorAnswers = [...outcomes].filter(([, o]) => o.replica === survivor.name);
    assert.ok(victimGrants.length > 0, 'the victim granted something before it died');
    assert.ok(survivorAnswers.every(([, o]) => o.status === 'granted'), `the survivor answered everything: ${JSON.stringify(survivorAnswers.filter(([, o]) => o.status !== 'granted').slice(0, 3))}`);
    for (const [, o] of [...outcomes].filter(([, x]) => x.status === 'refused')) assert.notEqual(o.code, 'internal');

    // Every grant is in the log of the replica that answered it (fsynced before the answer).
    for (const replica of [victim, survivor]) {
      const granted = new Set((await auditOf(replica)).filter((l) => l.action === 'resolve' && l.outcome === 'granted').map((l) => l.job_id));
      for (const [job, o] of outcomes) if (o.replica === replica.name && o.status === 'granted') assert.ok(granted.has(job), `${replica.name} audited ${job}`);
    }
    // The victim's leases outlive it: the survivor finds them (an unknown lease would be not_found) and ends them.
    for (const [, o] of victimGrants.slice(0, 5)) assert.equal((await onSurvivor.revokeLease(o.leaseId!)).revoked, true);
    // Nothing is granted twice: presenting the victim's granted envelopes again is a replay.
    for (const [job] of victimGrants.slice(0, 5)) {
      const envelope = envelopes.find((e) => e.payload.job_id === job)!;
      await assert.rejects(onSurvivor.resolve(envelope), (err) => err instanceof CrefgateError && err.code === 'replayed');
    }
    // Envelopes cut mid-flight are either still usable or refused as replays, never granted twice.
    for (const [job, o] of [...outcomes].filter(([, x]) => x.status === 'cut')) {
      const envelope = envelopes.find((e) => e.payload.job_id === job)!;
      await onSurvivor.resolve(envelope).catch((err: unknown) => {
        assert.ok(err instanceof CrefgateError && err.code === 'replayed', `cut ${job} (${o.replica}) after the crash: ${String(err)}`);
      });
    }
    const fresh = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { g: 'cref://tenant_abc/github_token' }, ttl: 600 });
    await onSurvivor.resolve(fresh);
  });
});
