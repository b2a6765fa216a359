/**
 * The proxy under a rate limit (`rate_limits.proxy`): past the executor's budget a proxied request is refused
 * `rate_limited` (429, Retry-After) before its lease is read, and the upstream sees nothing more.
 */
import assert from 'node:assert/strict';
import { GH, startProxyBench, type ProxyBench } from './fixture.ts';

describe('proxy rate limits', () => {
  let bench: ProxyBench;
  before(async () => {
    bench = await startProxyBench((config) => {
      config.rate_limits.proxy.per_executor = { limit: 3, window_seconds: 60 };
    });
    bench.upstream.expectedAuthorization = `token ${bench.secret('github_token') as string}`;
  });
  after(async () => {
    await bench?.close();
  });

  it('refuses the executor past its budget with rate_limited, nothing forwarded', async () => {
    const { secrets } = await bench.proxied({ gh: GH });
    const url = `${secrets.gh!.proxy_url}repos/octo/limited`;
    for (let i = 0; i < 3; i++) assert.equal((await bench.curl([url])).status, 200);
    const before = bench.upstream.count;
    const refused = await bench.curl([url]);
    assert.equal(refused.status, 429);
    assert.match(refused.headers, /retry-after: \d+/i);
    const error = JSON.parse(refused.body).error as { code: string; request_id: string };
    assert.equal(error.code, 'rate_limited');
    const line = await bench.gw.auditFor(error.request_id);
    assert.equal(line.step, 'rate_limit');
    assert.equal(line.action, 'proxy.request');
    assert.equal(bench.upstream.count, before);
  });
});
