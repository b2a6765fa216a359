/** Rate limits on one gateway: resolve, issuance and mounts; 429 with Retry-After, audited, nothing burned. */
import assert from 'node:assert/strict';
import type { CrefgateClient, Envelope } from '../../src/client/index.ts';
import { refused } from '../helpers/assertions.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/raw_post.ts';

const crefs = { github: 'cref://tenant_abc/github_token' };

/** Moves the test clock to the start of the next fixed window of `windowMs`. */
function nextWindow(gw: TestGateway, windowMs: number): void {
  const now = gw.clock.now();
  gw.clock.advance(Math.ceil((now + 1) / windowMs) * windowMs - now);
}

describe('rate limits', () => {
  describe('on resolve, per executor', () => {
    let gw: TestGateway;
    let coordinator: CrefgateClient;
    let executor: CrefgateClient;
    const issue = (): Promise<Envelope> => coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 3600 });

    before(async () => {
      gw = await startGateway({ mutate: (c) => void (c.rate_limits.resolve.per_executor = { limit: 2, window_seconds: 60 }) });
      coordinator = gw.client('coordinator');
      executor = gw.client('executor');
    });
    after(() => gw.close());

    it('refuses the request over the limit with 429 and Retry-After, audited at step rate_limit, burning no nonce', async () => {
      nextWindow(gw, 60_000);
      const envelopes = [await issue(), await issue(), await issue()];
      await executor.resolve(envelopes[0]!);
      await executor.resolve(envelopes[1]!);
      const line = await refused(gw, executor.resolve(envelopes[2]!), 'rate_limited', 'rate_limit');
      assert.match(line.reason!, /resolve per_executor limit of 2 per 60 s/);
      const raw = await rawPost(gw.dir, gw.url, '/v1/resolve', 'executor', JSON.stringify(envelopes[2]));
      assert.equal(raw.status, 429);
      const retryAfter = Number(raw.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${String(raw.headers['retry-after'])}`);
      assert.ok(!(await gw.auditLines()).some((l) => l.action === 'resolve' && l.job_id === envelopes[2]!.payload.job_id && l.outcome === 'granted'));

      // The window ends: the same envelope now resolves, so the refused presentations burned nothing.
      nextWindow(gw, 60_000);
      const result = await executor.resolve(envelopes[2]!);
      assert.equal(result.job_id, envelopes[2]!.payload.job_id);
    });
  });

  describe('on issuance, per tenant', () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startGateway({ mutate: (c) => void (c.rate_limits.issue.per_tenant = { limit: 1, window_seconds: 30 }) });
    });
    after(() => gw.close());

    it('refuses the second issuance in the window and creates no job', async () => {
      nextWindow(gw, 30_000);
      const coordinator = gw.client('coordinator');
      await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 600 });
      const line = await refused(gw, coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 600 }), 'rate_limited', 'rate_limit');
      assert.equal(line.action, 'job.issue');
      assert.equal((await gw.auditLines()).filter((l) => l.action === 'job.issue' && l.outcome === 'granted').length, 1);
      nextWindow(gw, 30_000);
      await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 600 });
    });
  });

  describe('toward a mount', () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startGateway({ mutate: (c) => void (c.rate_limits.mounts.local = { limit: 1, window_seconds: 60 }) });
    });
    after(() => gw.close());

    it('refuses a resolve whose backend read is over the mount limit and releases its nonce', async () => {
      nextWindow(gw, 60_000);
      const coordinator = gw.client('coordinator');
      const executor = gw.client('executor');
      const first = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 3600 });
      const second = await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 3600 });
      await executor.resolve(first);
      await refused(gw, executor.resolve(second), 'rate_limited', 'rate_limit');
      nextWindow(gw, 60_000);
      assert.equal((await executor.resolve(second)).job_id, second.payload.job_id);
    });
  });
});
