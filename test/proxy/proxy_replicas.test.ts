/**
 * Two gateway replicas sharing one state store (the memory store handed to both, and a real Redis each replica
 * connects to on its own): a proxied request that lands on the replica that did not resolve
 * the lease still works for a static secret (re-read through the lease's route), is refused `unavailable` for a
 * dynamic STS credential (it exists only where it was minted, docs/proxy.md), and a job completed on one replica
 * is refused at once for new requests and cut off within the check interval for exchanges in flight on the other.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { stateConfigSchema } from '../../src/state/config.ts';
import { makeTempFolder } from '../helpers/kit.ts';
import { RedisServer } from '../helpers/redis_server.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { AWS, GH, startProxyBench, type ProxyBench } from './fixture.ts';

for (const store of ['memory', 'redis'] as const) describe(`proxy delivery across replicas (${store} state)`, () => {
  let redis: RedisServer | undefined;
  let keyDir: Awaited<ReturnType<typeof makeTempFolder>> | undefined;
  let bench: ProxyBench;
  let replicaB: Gateway;
  let urlB: string;
  let token: string;
  const onB = (proxyUrl: string) => proxyUrl.replace(bench.gw.url, urlB);

  before(async () => {
    if (store === 'redis') {
      redis = await RedisServer.start();
      keyDir = await makeTempFolder('crefgate-proxy-redis-');
      writeFileSync(path.join(keyDir.path, 'master.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    }
    bench = await startProxyBench((config) => {
      if (redis !== undefined) config.state = stateConfigSchema.parse({ kind: 'redis', redis: { url: redis.url, master_keys: [{ key_id: 'm1', file: path.join(keyDir!.path, 'master.key') }] } });
    });
    token = bench.secret('github_token') as string;
    bench.upstream.expectedAuthorization = `token ${token}`;
    const config = structuredClone(bench.gw.config);
    // Its own audit file (one writer per log), the same state store, a short in-flight check.
    config.audit.sinks = config.audit.sinks.map((s) => (s.type === 'file' ? { ...s, path: 'audit/replica-b.log' } : s));
    config.proxy.check_interval_ms = 100;
    const quiet = new Writable({ write: (_c, _e, done) => done() });
    // Memory: B is handed A's store. Redis: B connects to the same server itself, as a second replica would.
    const shared = store === 'memory' ? { state: bench.gw.gateway.services.state } : {};
    replicaB = await createGateway(config, { configDir: bench.gw.dir, ...shared, replica: 'b', workers: false, logger: createLogger({ level: 'error', destination: quiet }) });
    urlB = `https://127.0.0.1:${(await replicaB.listen()).port}`;
  });
  after(async () => {
    await replicaB?.close();
    await bench?.close();
    await redis?.stop();
    await keyDir?.remove();
  });

  it('a static secret resolved on A is injected by B, which re-reads it through the route', async () => {
    const { secrets } = await bench.proxied({ gh: GH });
    assert.equal(replicaB.services.proxy!.credentials.size, 0, 'B holds nothing yet');
    const answer = await bench.curl([`${onB(secrets.gh!.proxy_url!)}repos/octo/b`]);
    assert.equal(answer.status, 200, answer.body);
    assert.equal(bench.upstream.received.at(-1)!.headers.authorization, `token ${token}`);
  });

  it('a dynamic STS credential minted on A is unavailable on B (never re-minted unrecorded)', async () => {
    const { secrets } = await bench.proxied({ aws: AWS });
    const before = bench.upstream.count;
    const answer = await bench.curl(['-X', 'POST', '--data', '{}', `${onB(secrets.aws!.proxy_url!)}`]);
    assert.equal(answer.status, 503);
    assert.equal(JSON.parse(answer.body).error.code, 'unavailable');
    assert.equal(bench.upstream.count, before);
  });

  it('a job completed on A: B refuses new requests at once and cuts its exchange in flight within the check interval', async () => {
    const { secrets, jobId } = await bench.proxied({ gh: GH });
    const target = bench.gw.client('executor').proxy({ ...secrets.gh!, proxy_url: onB(secrets.gh!.proxy_url!) } as never);
    const response = await target.fetch('slow');
    const reader = response.body!.getReader();
    await reader.read();
    const started = Date.now();
    await bench.gw.client('executor').completeJob(jobId);
    const refused = await bench.curl([`${onB(secrets.gh!.proxy_url!)}repos/octo/x`]);
    assert.equal(refused.status, 401);
    assert.equal(JSON.parse(refused.body).error.code, 'expired');
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) throw new Error('ended cleanly');
    });
    const took = Date.now() - started;
    assert.ok(took < 700, `cut off on B in ${took} ms`);
  });
});
