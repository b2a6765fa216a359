/**
 * Every refusal of the proxy's own parts with its code AND failing step (the e2e suites assert most codes; these
 * pin the step too): the delivery marking at issuance, the lease gate's admission, the held credentials, the
 * injection, the request body bound, the upstream timeout and the value-free resolve hand-off without a proxy.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { GatewayError } from '../../src/errors.ts';
import { ProxyCredentials } from '../../src/proxy/credentials.ts';
import { readRequestBody, sendUpstream } from '../../src/proxy/forward.ts';
import { inject, type OutgoingRequest } from '../../src/proxy/inject.ts';
import { checkDelivery } from '../../src/proxy/issuance.ts';
import { LeaseGate } from '../../src/proxy/lease_gate.ts';
import { proxyDelivery } from '../../src/resolve/proxy_delivery.ts';
import { createThrowawayPki } from '../helpers/throwaway_ca.ts';

const NOW = 1_800_000_000_000;

async function refusal(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof GatewayError, String(err));
    return `${err.code}/${err.step}`;
  }
  return 'passed';
}

describe('proxy refusals: code and step', () => {
  it('issuance: a marking outside the crefs is malformed at shape; a route without proxy, or requiring it, forbidden at policy', async () => {
    const router = { route: (cref: { raw?: string }) => (String(JSON.stringify(cref)).includes('plain') ? { proxy: undefined } : String(JSON.stringify(cref)).includes('only') ? { proxy: { required: true } } : { proxy: { required: false } }) } as never;
    const crefs = { a: 'cref://t/gh/x' };
    assert.equal(await refusal(() => checkDelivery(router, crefs, { a: 'proxy' })), 'passed');
    assert.equal(await refusal(() => checkDelivery(router, crefs, { b: 'proxy' })), 'malformed/shape');
    assert.equal(await refusal(() => checkDelivery(router, { a: 'cref://t/plain/x' }, { a: 'proxy' })), 'forbidden/policy');
    assert.equal(await refusal(() => checkDelivery(router, { a: 'cref://t/only/x' }, undefined)), 'forbidden/policy');
  });

  it('lease gate: unknown lease not_found, another executor or tenant forbidden, every ended state expired, all at proxy', async () => {
    const lease = { leaseId: 'lease_1', jobId: 'job_1', executor: 'exec-01', tenant: 't1', state: 'active', expiresAt: NOW + 60_000 };
    const job = { jobId: 'job_1', expiresAt: NOW + 60_000 };
    let leaseRecord: Record<string, unknown> | undefined = lease;
    let jobRecord: Record<string, unknown> | undefined = job;
    const state = { leases: { get: async () => leaseRecord }, jobs: { get: async () => jobRecord } } as never;
    const gate = new LeaseGate(state, () => NOW, 1000, () => undefined);
    const exec = { role: 'executor', id: 'exec-01', tenant: 't1', tenants: [] } as never;
    assert.equal(await refusal(() => gate.admit(exec, 'lease_1')), 'passed');
    assert.equal(await refusal(() => gate.admit({ role: 'executor', id: 'exec-02', tenants: [] } as never, 'lease_1')), 'forbidden/proxy');
    assert.equal(await refusal(() => gate.admit({ role: 'executor', id: 'exec-01', tenant: 't2', tenants: [] } as never, 'lease_1')), 'forbidden/proxy');
    assert.equal(await refusal(() => gate.admit({ role: 'coordinator', id: 'exec-01', tenants: ['t1'] } as never, 'lease_1')), 'forbidden/proxy');
    for (const [l, j] of [
      [lease, undefined],
      [lease, { ...job, completedAt: NOW - 1 }],
      [{ ...lease, state: 'revoked' }, job],
      [{ ...lease, expiresAt: NOW }, job],
      [lease, { ...job, expiresAt: NOW }],
    ] as const) {
      leaseRecord = l;
      jobRecord = j;
      assert.equal(await refusal(() => gate.admit(exec, 'lease_1')), 'expired/proxy', JSON.stringify([l, j]));
    }
    leaseRecord = undefined;
    assert.equal(await refusal(() => gate.admit(exec, 'lease_1')), 'not_found/proxy');
  });

  it('held credentials: a dynamic one elsewhere is unavailable, a route no longer proxied forbidden, at proxy', async () => {
    const credentials = new ProxyCredentials({ route: () => ({ mount: 'other', proxy: {}, dynamic: false }) } as never, {} as never, 1000, () => NOW);
    const lease = (handle?: unknown) => ({ leaseId: 'lease_1', cref: 'cref://t/gh/x', mount: 'local', expiresAt: NOW + 1000, handle }) as never;
    assert.equal(await refusal(() => credentials.get(lease({ role: 'r' }), AbortSignal.timeout(1000))), 'unavailable/proxy');
    assert.equal(await refusal(() => credentials.get(lease(), AbortSignal.timeout(1000))), 'forbidden/proxy');
  });

  it('injection: a secret that does not fit the injection is unavailable at proxy, and nothing is set', async () => {
    const request = (): OutgoingRequest => ({ method: 'GET', headers: {} });
    const header = { kind: 'header', header: 'authorization', template: 'token {value}' } as const;
    const basic = { kind: 'basic', username_field: 'username', password_field: 'password' } as const;
    for (const [injection, value] of [
      [{ ...header, field: 'token' }, 'plain'],
      [header, { token: 'x' }],
      [{ ...header, field: 'token' }, { other: 'x' }],
      [header, 'a\nb'],
      [basic, { username: 'a:b', password: 'p' }],
      [basic, { username: 'a' }],
    ] as const) {
      const r = request();
      assert.equal(await refusal(() => inject(injection as never, value as never, r, new Date(NOW))), 'unavailable/proxy', JSON.stringify(injection));
      assert.equal(r.headers.authorization, undefined);
    }
  });

  it('request body: a declared length over the limit is payload_too_large at proxy', async () => {
    const req = { headers: { 'content-length': '11' } } as unknown as IncomingMessage;
    assert.equal(await refusal(() => readRequestBody(req, 10)), 'payload_too_large/proxy');
  });

  it('upstream: no response head within the timeout is unavailable at proxy', async () => {
    const pki = await createThrowawayPki('proxy-refusals-ca');
    const silent = https.createServer({ cert: pki.serverCert, key: pki.serverKey }, () => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const agent = new https.Agent({ ca: pki.caCert });
    try {
      const port = (silent.address() as AddressInfo).port;
      const plan = { hostname: '127.0.0.1', port, servername: undefined };
      const sent = sendUpstream({ method: 'GET', plan, target: '/x', headers: { host: `127.0.0.1:${port}` }, body: undefined, agent, timeoutMs: 150, signal: AbortSignal.timeout(5000) });
      await assert.rejects(sent, (err: unknown) => err instanceof GatewayError && `${err.code}/${err.step}` === 'unavailable/proxy' && /no response within 150 ms/.test(err.reason ?? ''));
    } finally {
      agent.destroy();
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('resolve hand-off: a replica without the proxy refuses (unavailable at proxy) and holds no value', async () => {
    const lease = { leaseId: 'lease_1', expiresAt: NOW + 1000, renewable: false } as never;
    assert.equal(await refusal(() => proxyDelivery({ proxy: undefined } as never, lease, { value: 'v' } as never, NOW)), 'unavailable/proxy');
  });
});
