/** Successful reads are audit events too: listing and reading executors (who read what), and refusals of reads. */
import assert from 'node:assert/strict';
import { refused } from '../helpers/assertions.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

describe('reads are audited', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => gw.close());

  it('executor listing and reading write one ok event each, with the reader, the tenant and the executor', async () => {
    const before = (await gw.auditLines()).length;
    const list = await gw.client('auditor').get<{ executors: { id: string }[] }>('/v1/executors?tenant=tenant_abc');
    const one = await gw.client('admin').get<{ id: string }>('/v1/executors/exec-01');
    assert.ok(list.executors.length >= 1);
    assert.equal(one.id, 'exec-01');
    const events = (await gw.auditLines()).slice(before).filter((l) => l.action.startsWith('executor.'));
    assert.deepEqual(
      events.map((e) => [e.action, e.outcome, (e.actor as { type: string }).type, e.tenant, e.executor]),
      [
        ['executor.list', 'ok', 'auditor', 'tenant_abc', undefined],
        ['executor.read', 'ok', 'admin', 'tenant_abc', 'exec-01'],
      ],
    );
    assert.equal((events[0]!.detail as { count: number }).count, list.executors.length);
  });

  it('a refused read is audited under the read action, naming what was asked for', async () => {
    const before = (await gw.auditLines()).length;
    await refused(gw, gw.client('admin').get('/v1/executors/exec-nope'), 'not_found', 'policy');
    await refused(gw, gw.client('executor').get('/v1/executors'), 'forbidden', 'auth');
    const events = (await gw.auditLines()).slice(before);
    assert.deepEqual(events.map((e) => [e.action, e.outcome, e.code]), [
      ['executor.read', 'denied', 'not_found'],
      ['executor.list', 'denied', 'forbidden'],
    ]);
    assert.equal(events[0]!.executor, 'exec-nope');
    // The refused executor's identity names its tenant: the refusal belongs to that tenant's trail.
    assert.equal(events[1]!.tenant, 'tenant_abc');
    assert.equal(events[0]!.tenant, undefined, "an admin's refusal about an unknown executor has no tenant to name");
  });
});
