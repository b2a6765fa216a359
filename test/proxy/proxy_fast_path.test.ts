/**
 * The proxy fast path (src/proxy_http/fast_path.ts) serves proxied requests in front of Koa. What it must keep: the
 * request id and `cache-control` headers, one request log line per request (never two: a refusal goes through
 * Koa without the observers), the audit event with that same request id, and every refusal answered by the one
 * error mapping and audited by the denial auditor with its code and step — a completed job, an unknown lease, a
 * certificate that maps to no executor. And which requests it takes: only origin-form `/v1/proxy/<lease>/…` with
 * a proxy method; everything else reaches the full Koa application unchanged.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../../src/errors.ts';
import type { IdentityMapper } from '../../src/identity/identity.ts';
import { proxyFastPath } from '../../src/proxy_http/fast_path.ts';
import { takeRefusal } from '../../src/proxy_http/refusals.ts';
import type { GatewayServices } from '../../src/services.ts';
import { GH, startProxyBench, type ProxyBench } from './fixture.ts';

interface LogLine {
  msg: string;
  request_id?: string;
  route?: string;
  status?: number;
  code?: string;
  step?: string;
}

describe('proxy fast path', () => {
  let bench: ProxyBench;
  before(async () => {
    bench = await startProxyBench();
    bench.upstream.expectedAuthorization = `token ${bench.secret('github_token') as string}`;
  });
  after(async () => {
    await bench?.close();
  });

  const requestLines = (requestId: string) =>
    bench.gw.logs.flatMap((chunk) => chunk.split('\n')).filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as LogLine).filter((l) => l.msg === 'request' && l.request_id === requestId);
  const headerOf = (headers: string, name: string) => new RegExp(`^${name}: (.*?)\\r?$`, 'im').exec(headers)?.[1];

  it('a proxied request: request id and no-store headers, one log line on the proxy route, its audit event', async () => {
    const { secrets } = await bench.proxied({ gh: GH });
    const answer = await bench.curl([`${secrets.gh!.proxy_url}repos/octo/app`]);
    assert.equal(answer.status, 200, answer.body);
    const requestId = headerOf(answer.headers, 'x-request-id');
    assert.match(requestId ?? '', /^req_/);
    assert.equal(headerOf(answer.headers, 'cache-control'), 'no-store');
    const event = await bench.gw.auditFor(requestId!);
    assert.deepEqual([event.action, event.outcome, event.lease_ids], ['proxy.request', 'ok', [secrets.gh!.lease_id]]);
    // The line is written once the exchange is over, its audit event included (after the executor has its answer).
    for (const end = Date.now() + 2000; requestLines(requestId!).length === 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));
    const lines = requestLines(requestId!);
    assert.equal(lines.length, 1, 'exactly one request log line');
    assert.deepEqual([lines[0]!.route, lines[0]!.status], ['/v1/proxy/:lease_id/{*path}', 200]);
  });

  it('refusals take the error mapping and the denial auditor: a completed job is expired at proxy, once logged, nothing forwarded', async () => {
    const { secrets, jobId } = await bench.proxied({ gh: GH });
    await bench.gw.client('executor').completeJob(jobId);
    const before = bench.upstream.count;
    const answer = await bench.curl([`${secrets.gh!.proxy_url}repos/octo/app`]);
    assert.equal(answer.status, 401);
    const error = (JSON.parse(answer.body) as { error: { code: string; request_id: string } }).error;
    assert.equal(error.code, 'expired');
    assert.equal(headerOf(answer.headers, 'x-request-id'), error.request_id, 'the header and the body name the same request');
    assert.equal(headerOf(answer.headers, 'cache-control'), 'no-store');
    const event = await bench.gw.auditFor(error.request_id);
    assert.deepEqual([event.action, event.outcome, event.code, event.step], ['proxy.request', 'denied', 'expired', 'proxy']);
    // What the fast path learnt before refusing reaches the denial's audit line.
    assert.deepEqual([event.lease_ids, event.tenant], [[secrets.gh!.lease_id], 'tenant_abc']);
    const lines = requestLines(error.request_id);
    assert.equal(lines.length, 1, 'exactly one request log line for a refusal too');
    assert.deepEqual([lines[0]!.status, lines[0]!.code, lines[0]!.step], [401, 'expired', 'proxy']);
    assert.equal(bench.upstream.count, before, 'nothing was forwarded');
  });

  it('an unknown lease and a coordinator certificate are refused the same way (not_found, forbidden)', async () => {
    const unknown = await bench.curl([`${bench.gw.url}/v1/proxy/lease_${'x'.repeat(22)}/repos/octo/app`]);
    assert.equal(unknown.status, 404);
    const notFound = (JSON.parse(unknown.body) as { error: { code: string; request_id: string } }).error;
    assert.equal(notFound.code, 'not_found');
    assert.equal((await bench.gw.auditFor(notFound.request_id)).step, 'proxy');
    const { secrets } = await bench.proxied({ gh: GH });
    const asCoordinator = await bench.curl([`${secrets.gh!.proxy_url}repos/octo/app`], 'coordinator');
    assert.equal(asCoordinator.status, 403, asCoordinator.body);
    const forbidden = (JSON.parse(asCoordinator.body) as { error: { code: string; request_id: string } }).error;
    const event = await bench.gw.auditFor(forbidden.request_id);
    assert.deepEqual([forbidden.code, event.outcome, event.action], ['forbidden', 'denied', 'proxy.request']);
  });
});

describe('proxy fast path: which requests it takes', () => {
  const fakeRes = () => {
    const headers = new Map<string, unknown>();
    return {
      headersSent: false,
      statusCode: 403,
      setHeader: (k: string, v: unknown) => headers.set(k, v),
      getHeader: (k: string) => headers.get(k),
      removeHeader: (k: string) => headers.delete(k),
      destroy: () => undefined,
    } as unknown as ServerResponse;
  };
  const fakeReq = (method: string, url: string) => ({ method, url, socket: { remoteAddress: '127.0.0.1' } }) as unknown as IncomingMessage;

  it('origin-form /v1/proxy/<lease>/… with a proxy method only; a refusal is left for Koa and answered there', async () => {
    const toApp: string[] = [];
    const refused: unknown[] = [];
    const handler = proxyFastPath({
      services: { proxy: {} } as unknown as GatewayServices,
      // A certificate that maps to nobody: the refusal happens before any proxy check.
      identities: { identify: () => { throw new GatewayError('unauthenticated', { step: 'tls', reason: 'test' }); } } as unknown as IdentityMapper,
      observers: [],
      refusals: async (req) => {
        refused.push(takeRefusal(req)?.error);
      },
      app: (req) => toApp.push(`${req.method} ${req.url}`),
    });
    for (const [method, url] of [['GET', '/v1/sys/health'], ['CONNECT', '/v1/proxy/lease_a/x'], ['GET', 'https://gw/v1/proxy/lease_a/x'], ['GET', '/v1/proxy/lease_a'], ['GET', '/V1/PROXY/lease_a/x'], ['TRACE', '/v1/proxy/lease_a/x']] as const) {
      handler(fakeReq(method, url), fakeRes());
    }
    assert.deepEqual(toApp, ['GET /v1/sys/health', 'CONNECT /v1/proxy/lease_a/x', 'GET https://gw/v1/proxy/lease_a/x', 'GET /v1/proxy/lease_a', 'GET /V1/PROXY/lease_a/x', 'TRACE /v1/proxy/lease_a/x']);
    handler(fakeReq('GET', '/v1/proxy/lease_a/repos/x'), fakeRes());
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(toApp.length, 6, 'a proxied request does not reach the full application');
    assert.equal(refused.length, 1);
    assert.ok(refused[0] instanceof GatewayError && refused[0].code === 'unauthenticated', 'the refusal reached the Koa pass');
  });

  it('without a proxy configured, every request goes to the full application', () => {
    const toApp: string[] = [];
    const handler = proxyFastPath({ services: {} as GatewayServices, identities: {} as IdentityMapper, observers: [], refusals: async () => undefined, app: (req) => toApp.push(req.url!) });
    handler(fakeReq('GET', '/v1/proxy/lease_a/x'), fakeRes());
    assert.deepEqual(toApp, ['/v1/proxy/lease_a/x']);
  });
});
