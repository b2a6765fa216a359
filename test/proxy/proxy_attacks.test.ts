/**
 * Attacks on the proxy, each refused with its code and failing step, with nothing forwarded (the upstream counts
 * what reaches it): traversal and encoded separators, CRLF, request smuggling, absolute-form targets and Host
 * mismatches, CONNECT, a redirect to another origin, another executor's lease, a completed job, methods and paths
 * outside the allow-list, oversized heads and bodies. Plus the cut-off of an exchange in flight.
 */
import assert from 'node:assert/strict';
import { CrefgateError } from '../../src/client/index.ts';
import { GatewayError } from '../../src/errors.ts';
import { addSecondExecutor } from '../helpers/second_executor.ts';
import { GH, startProxyBench, type ProxyBench } from './fixture.ts';
import { rawTls } from './raw_tls.ts';

describe('proxy attacks', () => {
  let bench: ProxyBench;
  let lease: string;
  let base: string;
  let port: number;

  before(async () => {
    bench = await startProxyBench((config) => {
      config.proxy.max_header_bytes = 2048;
      config.proxy.max_request_bytes = 4096;
      config.proxy.check_interval_ms = 100;
    });
    bench.upstream.expectedAuthorization = `token ${bench.secret('github_token') as string}`;
    port = Number(new URL(bench.gw.url).port);
    const { secrets } = await bench.proxied({ gh: GH });
    lease = secrets.gh!.lease_id;
    base = secrets.gh!.proxy_url!;
  });
  after(async () => {
    await bench?.close();
  });

  /** Runs `attack`; the gateway must answer `status` with `code`, audited at `step`; the upstream sees nothing. */
  async function refusedCurl(args: string[], status: number, code: string, step: string): Promise<void> {
    const before = bench.upstream.count;
    const answer = await bench.curl(args);
    assert.equal(answer.status, status, answer.body);
    const error = (JSON.parse(answer.body) as { error: { code: string; request_id: string } }).error;
    assert.equal(error.code, code);
    const line = await bench.gw.auditFor(error.request_id);
    assert.equal(line.step, step, String(line.reason));
    assert.equal(line.action, 'proxy.request');
    assert.equal(bench.upstream.count, before, 'nothing was forwarded');
  }

  it('path traversal: .., %2e%2e, %2f, %5c, double encoding and empty segments are malformed', async () => {
    for (const p of ['repos/../admin', 'repos/%2e%2e/admin', 'repos/%2E%2e/admin', 'repos/octo%2f..%2fadmin', 'repos/a%5c..%5cadmin', 'repos/%252e%252e/admin', 'repos//x', 'repos/./x']) {
      await refusedCurl(['--path-as-is', `${base}${p}`], 400, 'malformed', 'proxy');
    }
  });

  it('CRLF: an encoded CR/LF in the target is malformed; a raw one is refused by the HTTP parser; nothing forwarded', async () => {
    await refusedCurl([`${base}repos/octo/x%0d%0aX-Injected:%201`], 400, 'malformed', 'proxy');
    const before = bench.upstream.count;
    const raw = await rawTls(bench.gw.dir, port, `GET /v1/proxy/${lease}/repos/octo/x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-A: a\rX-Injected: 1\r\n\r\n`);
    assert.equal(raw.status, 400);
    assert.equal(bench.upstream.count, before);
  });

  it('request smuggling: Content-Length with Transfer-Encoding, and two Content-Lengths, never reach the upstream', async () => {
    const before = bench.upstream.count;
    const smuggled = `POST /v1/proxy/${lease}/repos/octo/x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /v1/proxy/${lease}/repos/octo/smuggled HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
    const a = await rawTls(bench.gw.dir, port, smuggled);
    assert.equal(a.status, 400);
    const b = await rawTls(bench.gw.dir, port, `POST /v1/proxy/${lease}/repos/octo/x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 2\r\nContent-Length: 30\r\n\r\n{}`);
    assert.equal(b.status, 400);
    assert.equal(bench.upstream.count, before);
    assert.equal(bench.upstream.countOf('/repos/octo/smuggled'), 0);
  });

  it('absolute-form targets, a foreign Host and CONNECT are refused', async () => {
    const before = bench.upstream.count;
    const absolute = await rawTls(bench.gw.dir, port, `GET https://attacker.example/v1/proxy/${lease}/repos/octo/x HTTP/1.1\r\nHost: attacker.example\r\n\r\n`);
    assert.equal(absolute.status, 400);
    assert.match(absolute.text, /"code":"malformed"/);
    const host = await rawTls(bench.gw.dir, port, `GET /v1/proxy/${lease}/repos/octo/x HTTP/1.1\r\nHost: attacker.example\r\n\r\n`);
    assert.equal(host.status, 400);
    assert.match(host.text, /"code":"malformed"/);
    const connect = await rawTls(bench.gw.dir, port, `CONNECT attacker.example:443 HTTP/1.1\r\nHost: attacker.example:443\r\n\r\n`);
    assert.notEqual(connect.status, 200);
    assert.equal(bench.upstream.count, before);
  });

  it('methods and paths outside the allow-list are forbidden', async () => {
    await refusedCurl(['-X', 'DELETE', `${base}repos/octo/x`], 403, 'forbidden', 'proxy');
    await refusedCurl([`${base}admin/users`], 403, 'forbidden', 'proxy');
    await refusedCurl([`${base}reposx/octo`], 403, 'forbidden', 'proxy');
    const before = bench.upstream.count;
    const trace = await bench.curl(['-X', 'TRACE', `${base}repos/octo/x`]);
    assert.equal(trace.status, 400, 'a method the proxy never registers falls through to "method not allowed"');
    assert.equal(bench.upstream.count, before);
  });

  it('an upstream redirect to another origin is refused; one inside the allow-list is rewritten onto the proxy', async () => {
    const out = await bench.curl([`${base}redirect-out`]);
    assert.equal(out.status, 403);
    const line = await bench.gw.auditFor(JSON.parse(out.body).error.request_id);
    assert.equal(line.step, 'proxy');
    assert.match(String(line.reason), /attacker\.example outside the allow-list/);
    const inside = await bench.curl([`${base}redirect-in`]);
    assert.equal(inside.status, 302);
    assert.match(inside.headers, new RegExp(`location: ${base.replace(/[/.]/g, '\\$&')}repos/octo/in-target`, 'i'));
  });

  it('an upstream redirect with an unparsable Location is forbidden at proxy', async () => {
    const out = await bench.curl([`${base}redirect-in/unparsable`]);
    assert.equal(out.status, 403);
    const line = await bench.gw.auditFor(JSON.parse(out.body).error.request_id);
    assert.deepEqual([line.code, line.step], ['forbidden', 'proxy']);
    assert.match(String(line.reason), /unparsable Location/);
  });

  it('a redirect to another origin that echoes the credential: refused, and the credential is not in the audit reason', async () => {
    const secret = bench.secret('github_token') as string;
    const out = await bench.curl([`${base}redirect-out/echo`]);
    assert.equal(out.status, 403);
    const line = await bench.gw.auditFor(JSON.parse(out.body).error.request_id);
    assert.equal(line.step, 'proxy');
    assert.match(String(line.reason), /outside the allow-list/);
    assert.ok(!JSON.stringify(line).toLowerCase().includes(secret.toLowerCase()), 'no credential in the audit line');
    assert.ok(!bench.gw.logs.join('').toLowerCase().includes(secret.toLowerCase()), 'no credential in the log');
  });

  it('an upstream redirect echoing the credential: the rewritten Location is dropped like any echoing header', async () => {
    const answer = await bench.curl([`${base}redirect-echo`]);
    assert.equal(answer.status, 302);
    assert.ok(!answer.headers.includes(bench.secret('github_token') as string), 'the credential is not in the answer head');
    assert.ok(!/^location:/im.test(answer.headers));
    const line = (await bench.gw.auditLines()).findLast((l) => l.action === 'proxy.request' && (l.detail as { path?: string } | undefined)?.path === '/redirect-echo');
    assert.ok(line !== undefined, 'the exchange is audited');
    assert.deepEqual((line.detail as { echoed_headers_dropped?: string[] }).echoed_headers_dropped, ['location']);
  });

  it('the upstream echoing the credential in a header: that header is dropped (the body echo stays possible, see threat model)', async () => {
    const answer = await bench.curl([`${base}echo`]);
    assert.equal(answer.status, 200);
    assert.ok(!/x-echo-authorization/i.test(answer.headers));
    assert.ok(!answer.headers.includes(bench.secret('github_token') as string));
  });

  it("another executor's lease is forbidden", async () => {
    await addSecondExecutor(bench.gw);
    const before = bench.upstream.count;
    const answer = await bench.curl([`${base}repos/octo/x`], 'exec-02');
    assert.equal(answer.status, 403);
    const line = await bench.gw.auditFor(JSON.parse(answer.body).error.request_id);
    assert.equal(line.step, 'proxy');
    assert.match(String(line.reason), /another executor/);
    assert.equal(bench.upstream.count, before);
    const coordinator = await bench.curl([`${base}repos/octo/x`], 'coordinator');
    assert.equal(coordinator.status, 403);
    assert.equal(bench.upstream.count, before);
  });

  it('a disabled executor is refused at once, its own lease notwithstanding', async () => {
    const admin = bench.gw.client('admin');
    await admin.setExecutorEnabled('exec-01', false);
    try {
      const before = bench.upstream.count;
      const answer = await bench.curl([`${base}repos/octo/x`]);
      assert.equal(answer.status, 403);
      const line = await bench.gw.auditFor(JSON.parse(answer.body).error.request_id);
      assert.equal(line.step, 'proxy');
      assert.match(String(line.reason), /disabled/);
      assert.equal(bench.upstream.count, before);
    } finally {
      await admin.setExecutorEnabled('exec-01', true);
    }
    assert.equal((await bench.curl([`${base}repos/octo/x`])).status, 200);
  });

  it('an unknown lease is not_found', async () => {
    await refusedCurl([`${bench.gw.url}/v1/proxy/lease_AAAAAAAAAAAAAAAAAAAAAA/repos/octo/x`], 404, 'not_found', 'proxy');
  });

  it('oversized headers and bodies are payload_too_large, declared or streamed', async () => {
    await refusedCurl(['-H', `x-big: ${'a'.repeat(3000)}`, `${base}repos/octo/x`], 413, 'payload_too_large', 'proxy');
    await refusedCurl(['-X', 'POST', '--data-binary', 'b'.repeat(5000), `${base}repos/octo/x`], 413, 'payload_too_large', 'proxy');
    await refusedCurl(['-X', 'POST', '-H', 'transfer-encoding: chunked', '--data-binary', 'c'.repeat(5000), `${base}repos/octo/x`], 413, 'payload_too_large', 'proxy');
  });

  it('a completed job: new requests are expired, and an exchange in flight is cut off', async () => {
    const { secrets, jobId } = await bench.proxied({ gh: GH });
    const target = bench.gw.client('executor').proxy(secrets.gh as never);
    const response = await target.fetch('slow');
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    assert.match(new TextDecoder().decode((await reader.read()).value), /first chunk/);
    const started = Date.now();
    await bench.gw.client('executor').completeJob(jobId);
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) throw new Error('ended cleanly');
    });
    assert.ok(Date.now() - started < 1000, 'cut off at once on the replica that completed the job');
    const before = bench.upstream.count;
    const after = await bench.curl([`${secrets.gh!.proxy_url}repos/octo/x`]);
    assert.equal(after.status, 401);
    assert.equal(JSON.parse(after.body).error.code, 'expired');
    assert.equal(bench.upstream.count, before);
    const cut = (await bench.gw.auditLines()).find((l) => l.action === 'proxy.request' && l.outcome === 'error' && l.job_id === jobId);
    assert.ok(cut !== undefined, 'the cut exchange is audited');
    assert.match(String(cut.reason), /completed|ended/);
  });

  it('a lease revoked on another replica (straight in the state store) cuts the exchange off within the check interval', async () => {
    const { secrets } = await bench.proxied({ gh: GH });
    const target = bench.gw.client('executor').proxy(secrets.gh as never);
    const response = await target.fetch('slow');
    const reader = response.body!.getReader();
    await reader.read();
    const started = Date.now();
    await bench.gw.gateway.services.state.leases.revoke(secrets.gh!.lease_id, 'lease_revoked');
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) throw new Error('ended cleanly');
    });
    const took = Date.now() - started;
    assert.ok(took < 600, `cut off in ${took} ms (check interval 100 ms)`);
  });

  it('after a proxy.request event failed to be written, requests are audited before they go out, and refused while that fails', async () => {
    const services = bench.gw.gateway.services;
    const trail = services.audit;
    let failing = true;
    services.audit = new Proxy(trail, {
      get: (target, key) =>
        key === 'record'
          ? (event: { action: string; outcome: string }) =>
              failing && event.action === 'proxy.request' && (event.outcome === 'ok' || event.outcome === 'granted')
                ? Promise.reject(new GatewayError('unavailable', { step: 'audit', reason: 'sink down (test)' }))
                : target.record(event as never)
          : Reflect.get(target, key),
    });
    try {
      const { secrets } = await bench.proxied({ gh: GH });
      const url = `${secrets.gh!.proxy_url}repos/octo/audited`;
      assert.equal((await bench.curl([url])).status, 200, 'the exchange whose event fails is already answered');
      const before = bench.upstream.count;
      const refused = await bench.curl([url]);
      assert.equal(refused.status, 503);
      const line = await bench.gw.auditFor(JSON.parse(refused.body).error.request_id);
      assert.equal(line.step, 'audit');
      assert.equal(bench.upstream.count, before, 'nothing goes out unaudited');
      failing = false;
      assert.equal((await bench.curl([url])).status, 200);
      const granted = (await bench.gw.auditLines()).filter((l) => l.action === 'proxy.request' && l.outcome === 'granted');
      assert.equal(granted.length, 1, 'one event written before the exchange, then back to normal');
      assert.equal((await bench.curl([url])).status, 200);
      assert.equal((await bench.gw.auditLines()).filter((l) => l.action === 'proxy.request' && l.outcome === 'granted').length, 1);
    } finally {
      services.audit = trail;
    }
  });

  it('the SDK helper refuses a URL outside its proxy base', async () => {
    const { secrets } = await bench.proxied({ gh: GH });
    const target = bench.gw.client('executor').proxy(secrets.gh as never);
    await assert.rejects(target.fetch('https://attacker.example/x'), /outside/);
    await assert.rejects(target.fetch(`${bench.gw.url}/v1/jobs`), /outside/);
    assert.throws(() => bench.gw.client('executor').proxy({ lease_id: 'lease_x', lease_duration: 1, renewable: false, expires_at: 1 }), /by value/);
    assert.ok(CrefgateError !== undefined);
  });
});
