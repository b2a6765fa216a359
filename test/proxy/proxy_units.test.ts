/**
 * The proxy's pure parts: the raw target check and allow-list, the header filters each way, and the three
 * injection kinds — SigV4 checked by the independent verifier the upstream uses (and seen to fail when tampered).
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../../src/errors.ts';
import { proxySettingsSchema, routeProxySchema } from '../../src/proxy/config.ts';
import { ProxyService } from '../../src/proxy/service.ts';
import { ProxyCredentials } from '../../src/proxy/credentials.ts';
import { checkRequestHead, responseHeaders, upstreamHeaders } from '../../src/proxy/headers.ts';
import { inject, type OutgoingRequest } from '../../src/proxy/inject.ts';
import { checkAllowed, parseProxyTarget, queryKeys } from '../../src/proxy/target.ts';
import { upstreamPlan } from '../../src/proxy/upstream_plan.ts';
import { verifySigV4 } from './sigv4_verify.ts';

const LEASE = 'lease_abcdefghijklmnopqrstuv';
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GatewayError);
    return `${err.code}/${err.step}`;
  }
  return 'passed';
};

describe('proxy: request target and allow-list', () => {
  it('splits lease, raw path and raw query without decoding', () => {
    assert.deepEqual(parseProxyTarget(`/v1/proxy/${LEASE}/repos/o/r?per_page=5`), { leaseId: LEASE, path: '/repos/o/r', query: 'per_page=5' });
    assert.deepEqual(parseProxyTarget(`/v1/proxy/${LEASE}/`), { leaseId: LEASE, path: '/', query: '' });
    assert.equal(parseProxyTarget(`/v1/proxy/${LEASE}/a%20b/c%3Fd`).path, '/a%20b/c%3Fd');
  });

  it('refuses absolute-form, bad lease ids, dot segments, encoded separators, controls and broken escapes', () => {
    for (const target of [
      `https://evil/v1/proxy/${LEASE}/x`,
      `/v1/proxy/lease_short/x`,
      `/v1/proxy/${LEASE}/a/../b`,
      `/v1/proxy/${LEASE}/a/./b`,
      `/v1/proxy/${LEASE}/..`,
      `/v1/proxy/${LEASE}/a/%2e%2E/b`,
      `/v1/proxy/${LEASE}/a%2Fb`,
      `/v1/proxy/${LEASE}/a%5cb`,
      `/v1/proxy/${LEASE}/a%252fb`,
      `/v1/proxy/${LEASE}/a%0d%0ab`,
      `/v1/proxy/${LEASE}/a%00`,
      `/v1/proxy/${LEASE}/a%zz`,
      `/v1/proxy/${LEASE}/a//b`,
      `/v1/proxy/${LEASE}/a\\b`,
      `/v1/proxy/${LEASE}/a"b`,
      `/v1/proxy/${LEASE}/a?x=%0a`,
      `/v1/proxy/${LEASE}/a?x=#y`,
    ]) {
      assert.equal(code(() => parseProxyTarget(target)), 'malformed/proxy', target);
    }
  });

  it('allows methods and prefixes on segment boundaries only (deny by default)', () => {
    const proxy = routeProxySchema.parse({ upstream: 'https://api.example.com', methods: ['GET'], path_prefixes: ['/repos', '/user/'], inject: { kind: 'header' } });
    assert.equal(code(() => checkAllowed(proxy, 'GET', '/repos')), 'passed');
    assert.equal(code(() => checkAllowed(proxy, 'GET', '/repos/o/r')), 'passed');
    assert.equal(code(() => checkAllowed(proxy, 'GET', '/user/emails')), 'passed');
    assert.equal(code(() => checkAllowed(proxy, 'GET', '/reposx')), 'forbidden/proxy');
    assert.equal(code(() => checkAllowed(proxy, 'GET', '/user')), 'forbidden/proxy');
    assert.equal(code(() => checkAllowed(proxy, 'POST', '/repos/o/r')), 'forbidden/proxy');
  });

  it('accepts only clean https origins and prefixes in config', () => {
    const base = { methods: ['GET'], path_prefixes: ['/'], inject: { kind: 'header' } };
    for (const upstream of ['http://api.example.com', 'https://api.example.com/v3', 'https://u:p@api.example.com', 'https://api.example.com?x']) {
      assert.equal(routeProxySchema.safeParse({ ...base, upstream }).success, false, upstream);
    }
    assert.equal(routeProxySchema.safeParse({ ...base, upstream: 'https://api.example.com', path_prefixes: ['/a/../b'] }).success, false);
    assert.equal(routeProxySchema.safeParse({ ...base, upstream: 'https://api.example.com', path_prefixes: ['/a%2f'] }).success, false);
    assert.equal(routeProxySchema.safeParse({ ...base, upstream: 'https://api.example.com', inject: { kind: 'header', header: 'Host' } }).success, false);
    assert.equal(routeProxySchema.safeParse({ ...base, upstream: 'https://api.example.com', inject: { kind: 'header', header: 'X-Api-Key', template: 'no placeholder' } }).success, false);
    assert.equal(routeProxySchema.parse({ ...base, upstream: 'https://api.example.com', inject: { kind: 'header', header: 'X-Api-Key' } }).inject.kind, 'header');
  });

  it('records query names, never values', () => {
    assert.deepEqual(queryKeys('a=1&token=s3cr3t&a=2&flag'), ['a', 'token', 'flag']);
  });
});

describe('proxy: headers each way', () => {
  const raw = ['Host', 'gw:1', 'Authorization', 'token placeholder', 'Connection', 'keep-alive, X-Drop', 'X-Drop', '1', 'Accept', 'a', 'Accept', 'b', 'X-Crefgate-Anything', 'x', 'X-Api-Key', 'forged', 'Cookie', 'c=1'];

  it('toward the upstream: hop-by-hop, connection-named, credential and the injected header are dropped; Host is the upstream', () => {
    const out = upstreamHeaders(raw, 'api.example.com', new Set(['x-api-key']));
    assert.deepEqual(out, { accept: ['a', 'b'], host: 'api.example.com' });
  });

  it('back to the executor: a header echoing the credential in any sent form is dropped and named', () => {
    const { headers, echoed } = responseHeaders(['Content-Type', 'json', 'X-Echo', 'Bearer tok_1234567', 'Authorization', 'x', 'Transfer-Encoding', 'chunked'], ['tok_1234567']);
    assert.deepEqual(headers, { 'content-type': 'json' });
    assert.deepEqual(echoed, ['x-echo']);
  });

  it('refuses CL with TE, a second Host, a foreign Host and oversized heads', () => {
    const head = (h: Record<string, string>, rawHeaders: string[]) => () => checkRequestHead(h as IncomingMessage['headers'], rawHeaders, 200, 'gw:1');
    assert.equal(code(head({ host: 'gw:1' }, ['Host', 'gw:1'])), 'passed');
    assert.equal(code(head({ host: 'gw:1', 'content-length': '1', 'transfer-encoding': 'chunked' }, ['Host', 'gw:1'])), 'malformed/proxy');
    assert.equal(code(head({ host: 'gw:1' }, ['Host', 'gw:1', 'Host', 'evil'])), 'malformed/proxy');
    assert.equal(code(head({ host: 'evil' }, ['Host', 'evil'])), 'malformed/proxy');
    assert.equal(code(head({ host: 'gw:1' }, ['Host', 'gw:1', 'X', 'y'.repeat(300)])), 'payload_too_large/proxy');
    // The one-pass check: a second Host in any case, and a control byte in any value (not only the first).
    assert.equal(code(head({ host: 'gw:1' }, ['Host', 'gw:1', 'HOST', 'gw:1'])), 'malformed/proxy');
    assert.equal(code(head({ host: 'gw:1' }, ['Host', 'gw:1', 'A', 'ok', 'B', 'x\0y'])), 'malformed/proxy');
    assert.equal(code(head({ host: 'gw:1' }, ['Hosts', 'x', 'Host', 'gw:1'])), 'passed');
  });
});

describe('proxy: upstream plan (per-route constants)', () => {
  const route = (upstream: string, inject: Record<string, unknown>) => routeProxySchema.parse({ upstream, methods: ['GET'], path_prefixes: ['/'], inject });

  it('connects to the upstream host, SNI only for a name, Host with the port as configured, strips what the injection sets', () => {
    const named = upstreamPlan(route('https://api.example.com', { kind: 'header', header: 'X-Api-Key' }));
    assert.deepEqual({ ...named, strip: [...named.strip] }, { origin: 'https://api.example.com', host: 'api.example.com', hostname: 'api.example.com', port: 443, servername: 'api.example.com', strip: ['x-api-key'] });
    const v4 = upstreamPlan(route('https://127.0.0.1:8443', { kind: 'basic' }));
    assert.deepEqual([v4.hostname, v4.port, v4.servername, v4.host, [...v4.strip]], ['127.0.0.1', 8443, undefined, '127.0.0.1:8443', []]);
    const v6 = upstreamPlan(route('https://[::1]:9443', { kind: 'aws_sigv4', service: 'sts', region: 'eu-west-1' }));
    assert.deepEqual([v6.hostname, v6.servername, v6.host], ['::1', undefined, '[::1]:9443']);
    assert.ok(['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'].every((h) => v6.strip.has(h)));
    // Computed once per route object: the same plan on the next request.
    const r = route('https://api.example.com', { kind: 'header' });
    assert.equal(upstreamPlan(r), upstreamPlan(r));
  });
});

describe('proxy: service settings', () => {
  const route = { cref: 'cref://{tenant}/x', mount: 'm', path: 'x', dynamic: false, proxy: routeProxySchema.parse({ upstream: 'https://api.example.com', methods: ['GET'], path_prefixes: ['/'], inject: { kind: 'header' } }) };
  const base = { routes: [route], state: {} as never, router: {} as never, mounts: {} as never, now: Date.now, readFile: () => Buffer.from(''), listeningOrigin: () => 'https://0.0.0.0:8443' };

  it('refuses to start behind a wildcard address without proxy.public_url; uses public_url for URLs and the Host check', () => {
    assert.throws(() => new ProxyService({ ...base, settings: proxySettingsSchema.parse({}), gatewayHost: '0.0.0.0' }), /public_url is required/);
    const service = new ProxyService({ ...base, settings: proxySettingsSchema.parse({ public_url: 'https://crefgate.example.org/' }), gatewayHost: '0.0.0.0' });
    assert.equal(service.proxyUrl('lease_abcdefghijklmnopqrstuv'), 'https://crefgate.example.org/v1/proxy/lease_abcdefghijklmnopqrstuv/');
    assert.equal(service.authority(), 'crefgate.example.org');
    service.close();
  });
});

describe('proxy: held credentials', () => {
  it('forgets a value at its lease end or cache time, and a dynamic one cannot be re-read elsewhere', async () => {
    let now = 1_000_000;
    const router = { route: () => undefined } as never;
    const credentials = new ProxyCredentials(router, {} as never, 60_000, () => now);
    const lease = (id: string, expiresAt: number, handle?: unknown) => ({ leaseId: id, expiresAt, handle, cref: 'cref://t/x', mount: 'm' }) as never;
    credentials.hold(lease('lease_a', now + 10_000), 'static-value', false);
    credentials.hold(lease('lease_b', now + 120_000, { role: 'r' }), { access_key_id: 'a' }, true);
    assert.equal(credentials.size, 2);
    assert.equal(await credentials.get(lease('lease_a', now + 10_000), AbortSignal.timeout(1000)), 'static-value');
    now += 10_000;
    credentials.sweep();
    assert.equal(credentials.size, 1, 'the static value went with its lease end');
    now += 110_000;
    credentials.sweep();
    assert.equal(credentials.size, 0);
    await assert.rejects(credentials.get(lease('lease_b', now + 1000, { role: 'r' }), AbortSignal.timeout(1000)), (e: unknown) => e instanceof GatewayError && e.code === 'unavailable');
    await assert.rejects(credentials.get(lease('lease_c', now + 1000), AbortSignal.timeout(1000)), (e: unknown) => e instanceof GatewayError && e.code === 'forbidden', 'a static lease whose route is no longer proxied');
  });
});

describe('proxy: injection', () => {
  const request = (body?: string): OutgoingRequest => ({
    method: 'POST',
    url: new URL('https://127.0.0.1:8443/?b=2&a=1'),
    headers: { host: '127.0.0.1:8443', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
    body: body === undefined ? undefined : Buffer.from(body),
  });

  it('header templates and Basic', async () => {
    const r = request();
    const sent = await inject({ kind: 'header', header: 'authorization', template: 'Bearer {value}' }, 'tok_1', r, new Date());
    assert.equal(r.headers.authorization, 'Bearer tok_1');
    assert.deepEqual(sent, ['tok_1', 'Bearer tok_1']);
    const b = request();
    await inject({ kind: 'basic', username_field: 'username', password_field: 'password' }, { username: 'u', password: 'p' }, b, new Date());
    assert.equal(b.headers.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`);
    await assert.rejects(inject({ kind: 'header', header: 'authorization', template: 'Bearer {value}' }, 'a\r\nb', request(), new Date()), (e: unknown) => e instanceof GatewayError && e.step === 'proxy');
  });

  it('SigV4: the independent verifier accepts the re-signed request, and refuses it once body or key differ', async () => {
    const keys = { access_key_id: 'ASIATESTKEY000000001', secret_access_key: 'secret/Key+1', session_token: 'session-token-1' };
    const r = request('{"SecretId":"x"}');
    await inject({ kind: 'aws_sigv4', service: 'secretsmanager', region: 'eu-west-1' }, keys, r, new Date());
    const asReceived = (body: string) =>
      [{ method: 'POST', url: '/?b=2&a=1', headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), String(v)])) } as unknown as IncomingMessage, body] as const;
    const known = (id: string) => (id === keys.access_key_id ? { secretAccessKey: keys.secret_access_key, sessionToken: keys.session_token } : undefined);
    assert.equal(verifySigV4(...asReceived('{"SecretId":"x"}'), 'secretsmanager', 'eu-west-1', known), undefined);
    assert.match(String(verifySigV4(...asReceived('{"SecretId":"y"}'), 'secretsmanager', 'eu-west-1', known)), /does not match/);
    assert.match(String(verifySigV4(...asReceived('{"SecretId":"x"}'), 'secretsmanager', 'eu-west-1', () => ({ secretAccessKey: 'other' }))), /signature does not match/);
  });
});
