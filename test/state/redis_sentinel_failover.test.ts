/**
 * Sentinel, for real: a gateway on a master, a replica and three sentinels (own ports), with
 * `min_replicas_acked: 1`. Under bounded load a failover is forced (`SENTINEL FAILOVER`, then SIGKILL of the old
 * master), the killed node comes back empty and is turned into the new master's replica by the sentinels. The
 * gateway follows by itself; every answer is a grant, a replay refusal or 503 `unavailable` with Retry-After
 * (never another 5xx); each envelope is granted exactly once, every grant has its audit line, and no envelope
 * granted before the failover is accepted again afterwards.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { CrefgateError, envelopeBody, type Envelope } from '../../src/client/index.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { rawPost, type RawAnswer } from '../helpers/raw_post.ts';
import { SentinelDeployment } from '../helpers/redis_sentinel.ts';
import { startRedisStateGateway } from '../helpers/redis_state_gateway.ts';

const CONCURRENCY = 4;

interface Answer {
  envelope: number;
  at: number;
  raw: RawAnswer;
}

describe('redis sentinel: a gateway follows a forced failover with exactly-once grants', function () {
  this.timeout(90_000);
  let deployment: SentinelDeployment | undefined;
  let gw: TestGateway | undefined;

  before(async () => {
    deployment = await SentinelDeployment.start({ replicas: 1 });
    gw = await startRedisStateGateway('sent', {
      sentinel: { name: deployment.name, sentinels: deployment.sentinelAddresses }, command_timeout_ms: 500, connect_timeout_ms: 1000,
      min_replicas_acked: 1, replica_ack_timeout_ms: 250,
    });
  });
  after(async () => {
    await gw?.close();
    await deployment?.stop();
  });

  it('answers every resolve with 200, 409 or 503+Retry-After, grants each envelope once, and keeps burned nonces', async () => {
    const coordinator = gw!.client('coordinator');
    const envelopes: Envelope[] = [];
    const answers: Answer[] = [];
    const issuanceRefusedAt: number[] = [];
    const present = async (i: number): Promise<RawAnswer> => {
      const raw = await rawPost(gw!.dir, gw!.url, '/v1/resolve', 'executor', envelopeBody(envelopes[i]!));
      answers.push({ envelope: i, at: Date.now(), raw });
      return raw;
    };
    // Issuance needs the store too: during the switch it may answer 503, and is retried.
    const issue = async (): Promise<number> => {
      for (;;) {
        try {
          envelopes.push(await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { github: 'cref://tenant_abc/github_token' }, ttl: 600 }));
          return envelopes.length - 1;
        } catch (err) {
          if (!(err instanceof CrefgateError) || err.status !== 503 || err.code !== 'unavailable') throw err;
          issuanceRefusedAt.push(Date.now());
          await delay(100);
        }
      }
    };
    // Each envelope is presented twice at once (a racing duplicate), and again after a 503 until one is granted.
    // Its retries last until well after the load phase: on a loaded machine the switch (failover, kill, restart,
    // the sentinels converting the old master) can take longer than any fixed per-envelope budget.
    const stopAt = Date.now() + 40_000;
    const work = async (i: number): Promise<void> => {
      const deadline = Math.max(Date.now() + 20_000, stopAt + 15_000);
      while (Date.now() < deadline) {
        const pair = await Promise.all([present(i), present(i)]);
        if (pair.some((a) => a.status === 200)) return;
        await delay(100);
      }
    };
    let failedOverAt = Number.POSITIVE_INFINITY;
    let rejoinedAt = Number.POSITIVE_INFINITY;
    let switched = false;
    const grantsAfter = (t: number) => answers.filter((a) => a.raw.status === 200 && a.at > t).length;
    const switcher = (async () => {
      while (grantsAfter(0) < 10) await delay(10);
      const { from } = await deployment!.failover();
      failedOverAt = Date.now();
      await deployment!.kill(from);
      // The crashed node comes back empty on its port; the sentinels make it the new master's replica.
      await deployment!.restart(from);
      rejoinedAt = Date.now();
      switched = true;
    })();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < stopAt && !(switched && grantsAfter(rejoinedAt) >= 10)) {
        await work(await issue());
        await delay(20);
      }
    }));
    await switcher;
    assert.ok(grantsAfter(rejoinedAt) >= 10, 'grants resumed on the new master');
    // With one replica and min_replicas_acked: 1, nothing counts while the new master has no replica: the gateway
    // must have answered 503 between the failover and the rejoin (the sentinels wait ~8 s before converting it).
    const refusedDuringSwitch = [...answers.filter((a) => a.raw.status === 503).map((a) => a.at), ...issuanceRefusedAt].filter((at) => at >= failedOverAt - 3000);
    assert.ok(refusedDuringSwitch.length > 0, 'the switch was seen (503 during it)');
    for (const { raw } of answers) {
      assert.ok([200, 409, 503].includes(raw.status), `status ${raw.status}: ${raw.body}`);
      if (raw.status === 503) {
        assert.equal(JSON.parse(raw.body).error.code, 'unavailable');
        assert.ok(Number(raw.headers['retry-after']) >= 1, 'Retry-After on 503');
      }
      if (raw.status === 409) assert.equal(JSON.parse(raw.body).error.code, 'replayed');
    }
    for (let i = 0; i < envelopes.length; i++) {
      const history = answers.filter((a) => a.envelope === i).map((a) => `${a.raw.status}@${a.at - failedOverAt}ms`);
      assert.equal(answers.filter((a) => a.envelope === i && a.raw.status === 200).length, 1, `envelope ${i} granted exactly once (answers, time from the failover: ${history.join(' ')})`);
    }

    // After the failover, every envelope (including those granted just before it) is still burned.
    for (let i = 0; i < envelopes.length; i++) {
      const again = await present(i);
      assert.equal(again.status, 409, `envelope ${i} accepted again after the failover: ${again.body}`);
    }

    const lines = await gw!.auditLines();
    for (const a of answers.filter((x) => x.raw.status === 200)) {
      const line = lines.find((l) => l.request_id === a.raw.headers['x-request-id']);
      assert.equal(line?.outcome, 'granted', 'every grant has its audit line');
    }
    // A granted event whose commit then failed (the switch) is followed by a refusal of the same request (which
    // answered 503 and released nothing). Every other granted event is a grant.
    const aborted = new Set(lines.filter((l) => l.action === 'resolve' && l.outcome !== 'granted').map((l) => l.request_id));
    for (const envelope of envelopes) {
      const granted = lines.filter((l) => l.action === 'resolve' && l.outcome === 'granted' && l.job_id === envelope.payload.job_id);
      assert.equal(granted.filter((l) => !aborted.has(l.request_id)).length, 1, `one standing grant for ${envelope.payload.job_id}`);
    }
    for (const a of answers.filter((x) => x.raw.status === 503)) assert.ok(!lines.some((l) => l.request_id === a.raw.headers['x-request-id'] && l.outcome === 'granted' && !aborted.has(l.request_id)));
  });
});
