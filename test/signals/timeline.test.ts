/** The forensic timeline over two logs: merged in order, lease-linked events included, tampering reported. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createAuditTrail } from '../../src/audit/index.ts';
import { buildTimeline } from '../../src/forensics/timeline.ts';
import { timelineTable } from '../../src/forensics/timeline_table.ts';
import { auditFixture, resolveEvent } from '../audit/helpers.ts';

const system = { type: 'system' as const, id: 'r', auth: 'system' as const };

describe('forensic timeline', () => {
  it('merges two replicas\' logs by time, follows a job\'s leases, and reports a tampered log', async () => {
    const a = auditFixture({ origin: 'crefgate/replica-0' });
    const b = auditFixture({ origin: 'crefgate/replica-1', hmac_key_file: a.keyFile });
    b.config.sinks = [{ ...a.config.sinks[0]!, path: path.join(a.dir, 'logs', 'audit-b.log') } as (typeof a.config.sinks)[number]];
    let t = Date.parse('2025-11-23T10:00:00Z');
    const now = () => t;
    const trailA = await createAuditTrail(a.config, { configDir: a.dir, now });
    const trailB = await createAuditTrail(b.config, { configDir: a.dir, now });
    const step = async (trail: typeof trailA, event: Parameters<typeof trailA.record>[0]) => {
      t += 1000;
      await trail.record(event);
    };
    await step(trailA, { action: 'job.issue', outcome: 'granted', actor: { type: 'coordinator', id: 'ci', auth: 'mtls' }, tenant: 'tenant_abc', executor: 'exec-1', job_id: 'job-1' });
    await step(trailB, resolveEvent(1));
    await step(trailA, resolveEvent(2));
    await step(trailA, { action: 'alert', outcome: 'ok', reason: 'replay', actor: system, job_id: 'job-1', detail: { signal: 'replay', subject_kind: 'executor', subject: 'exec-1' } });
    await step(trailB, { action: 'revocation', outcome: 'ok', actor: system, lease_ids: ['lease-1'], detail: { mount: 'vault' } });
    await trailA.close();
    await trailB.close();

    const logs = path.join(a.dir, 'logs');
    const timeline = await buildTimeline([logs], { job: 'job-1' });
    assert.equal(timeline.ok, true);
    assert.deepEqual(timeline.events.map((e) => `${e.origin.slice(-1)}:${e.action}`), ['0:job.issue', '1:resolve', '0:alert', '1:revocation']);
    const table = timelineTable(timeline.events);
    assert.match(table[3]!, /signal=replay executor=exec-1/);
    assert.ok(!table.join('\n').includes('nonce-7f3a'), 'no clear nonce in the story');

    const since = await buildTimeline([logs], { tenant: 'tenant_abc', since: Date.parse('2025-11-23T10:00:02.500Z') });
    assert.deepEqual(since.events.map((e) => e.job_id), ['job-2']);

    const file = path.join(logs, 'audit-b.log');
    // The first line is edited: the next line's `prev` no longer matches (a last line needs checkpoints to catch).
    writeFileSync(file, readFileSync(file, 'utf8').replace('"outcome":"granted"', '"outcome":"denied"'));
    const tampered = await buildTimeline([logs], { job: 'job-1' });
    assert.equal(tampered.ok, false);
    assert.deepEqual(tampered.logs.filter((l) => !l.ok).map((l) => path.basename(l.file)), ['audit-b.log']);
  });
});
