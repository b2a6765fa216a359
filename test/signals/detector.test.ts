/** Each signal fires on a crafted sequence and stays silent on normal traffic of the same volume. */
import assert from 'node:assert/strict';
import type { AuditEventInput } from '../../src/audit/contract.ts';
import { observableTrail } from '../../src/audit/trail/observer.ts';
import { denied, granted, issued, signalFixture } from './signal_fixture.ts';

const renewal = (capped: boolean): AuditEventInput => ({
  action: 'lease.renew', outcome: 'ok', actor: { type: 'executor', id: 'exec-01', auth: 'mtls' }, tenant: 'tenant_abc', executor: 'exec-01', job_id: 'job_1', lease_ids: ['lease_1'], source: '10.0.0.7',
  detail: { increment: 60, capped_at_job_end: capped, renewals: 1 },
});
const revocation = (outcome: 'ok' | 'error'): AuditEventInput => ({
  action: 'revocation', outcome, actor: { type: 'system', id: 'r1', auth: 'system' }, lease_ids: ['lease_1'], detail: { mount: 'vault', cause: 'lease_expired', attempts: 1 }, ...(outcome === 'error' ? { step: 'backend' as const, reason: 'unavailable' } : {}),
});

describe('security signals', () => {
  it('denial burst: fires once per subject at the threshold, not for the same number of grants', async () => {
    const fx = signalFixture((c) => Object.assign(c.denial_burst, { threshold: 5, window_seconds: 60 }));
    await fx.feed(...Array.from({ length: 12 }, () => granted(['cref://tenant_abc/a'])));
    assert.equal(fx.alerts('denial_burst').length, 0);
    await fx.feed(...Array.from({ length: 12 }, () => denied('forbidden', 'scope')));
    const alerts = fx.alerts('denial_burst');
    assert.deepEqual(alerts.map((a) => a.detail!.subject_kind).sort(), ['executor', 'source', 'tenant']);
    assert.equal(alerts[0]!.detail!.count, 5);
    assert.equal(alerts[0]!.actor.type, 'system');
  });

  it('denial burst: spread below the threshold per window stays silent; rate-limit refusals never count', async () => {
    const fx = signalFixture((c) => Object.assign(c.denial_burst, { threshold: 5, window_seconds: 60 }));
    for (let w = 0; w < 3; w++) {
      await fx.feed(...Array.from({ length: 4 }, () => denied('forbidden', 'scope')));
      fx.clock.advance(60_000);
    }
    await fx.feed(...Array.from({ length: 12 }, () => denied('rate_limited', 'rate_limit')));
    assert.equal(fx.alerts().length, 0);
  });

  it('replay: every replayed presentation is an alert; other denials are not', async () => {
    const fx = signalFixture((c) => void (c.denial_burst.enabled = false));
    await fx.feed(denied('forbidden', 'hmac'), denied('expired', 'token'));
    assert.equal(fx.alerts().length, 0);
    await fx.feed(denied('replayed', 'nonce'), denied('replayed', 'nonce'));
    assert.deepEqual(fx.alerts('replay').map((a) => a.detail!.replays_today), [1, 2]);
  });

  it('new cref: learns silently first, then fires for a cref never read before', async () => {
    const fx = signalFixture();
    await fx.feed(granted(['cref://tenant_abc/a', 'cref://tenant_abc/b']));
    await fx.feed(...Array.from({ length: 5 }, () => granted(['cref://tenant_abc/a'])));
    assert.equal(fx.alerts().length, 0);
    await fx.feed(granted(['cref://tenant_abc/a', 'cref://tenant_abc/prod_db']));
    const [alert] = fx.alerts('new_cref');
    assert.deepEqual(alert?.crefs, ['cref://tenant_abc/prod_db']);
    await fx.feed(granted(['cref://tenant_abc/prod_db']));
    assert.equal(fx.alerts('new_cref').length, 1, 'known from now on');
  });

  it('new network: fires for an executor presenting from a /24 it never used, not for a neighbour address', async () => {
    const fx = signalFixture();
    await fx.feed(granted(['cref://tenant_abc/a'], { source: '10.0.0.7' }), granted(['cref://tenant_abc/a'], { source: '10.0.0.99' }));
    await fx.feed(granted(['cref://tenant_abc/a'], { source: '::ffff:10.0.0.8' }));
    assert.equal(fx.alerts().length, 0);
    await fx.feed(granted(['cref://tenant_abc/a'], { source: '203.0.113.5' }));
    assert.equal(fx.alerts('new_network')[0]?.detail?.network, '203.0.113.0/24');
    await fx.feed(granted(['cref://tenant_abc/a'], { source: '2001:db8:1:2::5' }));
    assert.equal(fx.alerts('new_network')[1]?.detail?.network, '2001:db8:1:2:0:0:0:0/64');
  });

  it('rate spike: steady traffic stays silent; a window far above the baseline fires once', async () => {
    const fx = signalFixture((c) => Object.assign(c.rate_spike, { window_seconds: 60, baseline_windows: 4, factor: 3, min_count: 10 }));
    const start = Math.ceil(fx.clock.now() / 60_000) * 60_000;
    fx.clock.advance(start - fx.clock.now());
    for (let w = 0; w < 6; w++) {
      await fx.feed(...Array.from({ length: 12 }, () => issued()));
      fx.clock.advance(60_000);
    }
    assert.equal(fx.alerts().length, 0, 'twelve a window, window after window, is the baseline');
    await fx.feed(...Array.from({ length: 60 }, () => issued()));
    const alerts = fx.alerts('rate_spike');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.detail!.baseline, 12);
    assert.equal(alerts[0]!.detail!.action, 'issue');
  });

  it('renewal cap: repeated renewals into the job end fire; as many ordinary renewals do not', async () => {
    const fx = signalFixture((c) => Object.assign(c.renewal_cap, { threshold: 3, window_seconds: 600 }));
    await fx.feed(...Array.from({ length: 6 }, () => renewal(false)));
    assert.equal(fx.alerts().length, 0);
    await fx.feed(...Array.from({ length: 6 }, () => renewal(true)));
    assert.equal(fx.alerts('renewal_cap').length, 1);
  });

  it('revocation failures: failures piling up on a mount fire; as many successes do not', async () => {
    const fx = signalFixture((c) => Object.assign(c.revocation_failures, { threshold: 4, window_seconds: 600 }));
    await fx.feed(...Array.from({ length: 8 }, () => revocation('ok')));
    assert.equal(fx.alerts().length, 0);
    await fx.feed(...Array.from({ length: 8 }, () => revocation('error')));
    const alerts = fx.alerts('revocation_failures');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.detail!.subject, 'vault');
  });

  it('auto-disable: disables the executor after N replays and audits it as the system', async () => {
    const fx = signalFixture((c) => void (c.auto_disable.after_replays = 2));
    await fx.state.executors.register({ id: 'exec-01', tenant: 'tenant_abc', identities: [], allowedCrefs: [], enabled: true, createdAt: 0, secrets: [], graceMs: 0 });
    await fx.feed(denied('replayed', 'nonce'));
    assert.equal((await fx.state.executors.get('exec-01'))?.enabled, true);
    await fx.feed(denied('replayed', 'nonce'));
    assert.equal((await fx.state.executors.get('exec-01'))?.enabled, false);
    const disable = fx.recorded.filter((e) => e.action === 'executor.disable');
    assert.equal(disable.length, 1);
    assert.equal(disable[0]!.actor.type, 'system');
    assert.equal(disable[0]!.detail!.automatic, true);
  });

  it('never fails or blocks the observed trail when the store is broken, never evaluates its own alerts, and counts alerts', async () => {
    const fx = signalFixture();
    const inner = observableTrail({ record: async () => ({ seq: 0, event_id: 'e' }), hash: () => '', health: async () => [], close: async () => undefined });
    inner.observe(fx.detector.observer());
    fx.detector.offer({ action: 'alert', outcome: 'ok', actor: { type: 'system', id: 'r1', auth: 'system' } });
    await fx.detector.idle();
    assert.equal(fx.recorded.length, 0, 'an alert is not evaluated');
    await fx.feed(denied('replayed', 'nonce'));
    assert.match(await fx.registry.metrics(), /crefgate_security_alerts_total\{signal="replay"\} 1/);
    (fx.state.counters as { increment: unknown }).increment = () => Promise.reject(new Error('store down'));
    assert.deepEqual(await inner.record(denied('replayed', 'nonce')), { seq: 0, event_id: 'e' });
    await fx.detector.idle();
    assert.match(await fx.registry.metrics(), /crefgate_signal_errors_total [1-9]/);
  });

  it('sees an event through the trail hook only once it is durable, never a refused one, never its sensitive values', async () => {
    const fx = signalFixture();
    let release: (() => void) | undefined;
    const seen: AuditEventInput[] = [];
    const trail = observableTrail({
      record: (e) =>
        e.reason === 'refuse'
          ? Promise.reject(new Error('sink down'))
          : new Promise((r) => {
              release = () => r({ seq: 1, event_id: 'e1' });
            }),
      hash: () => '',
      health: async () => [],
      close: async () => undefined,
    });
    trail.observe(fx.detector.observer());
    trail.observe({ onRecord: (o) => void seen.push(o.event) });
    // Refused: the detector never hears of it, so no replay alert.
    await assert.rejects(trail.record({ ...denied('replayed', 'nonce'), reason: 'refuse', sensitive: { nonce: 'clear-nonce' } }));
    await fx.detector.idle();
    assert.equal(fx.alerts('replay').length, 0, 'a refused event is not evaluated');
    // Pending: not yet durable, not yet evaluated.
    const pending = trail.record({ ...denied('replayed', 'nonce'), sensitive: { nonce: 'clear-nonce' } });
    await new Promise((r) => setImmediate(r));
    await fx.detector.idle();
    assert.equal(fx.alerts('replay').length, 0, 'a pending event is not evaluated');
    release!();
    await pending;
    await fx.detector.idle();
    assert.equal(fx.alerts('replay').length, 1, 'the durable event is evaluated');
    assert.ok(seen.every((e) => !('sensitive' in e)) && !JSON.stringify(seen).includes('clear-nonce'), 'observers never see sensitive values');
  });

  it('does not evaluate what it recorded itself: its alerts and its automatic disables', async () => {
    const fx = signalFixture((c) => void (c.auto_disable.after_replays = 1));
    fx.audit.observe(fx.detector.observer());
    await fx.state.executors.register({ id: 'exec-01', tenant: 'tenant_abc', identities: [], allowedCrefs: [], enabled: true, createdAt: 0, secrets: [], graceMs: 0 });
    await fx.audit.record(denied('replayed', 'nonce'));
    await fx.detector.idle();
    assert.equal(fx.alerts('replay').length, 1);
    assert.equal(fx.recorded.filter((e) => e.action === 'executor.disable').length, 1);
    // Both on the observed trail, the alert counted once, and nothing more came of them.
    assert.equal(fx.recorded.length, 3);
    assert.match(await fx.registry.metrics(), /crefgate_security_alerts_total\{signal="replay"\} 1\n/);
  });
});
