/**
 * Fault injection under load: Redis SIGKILLed and restarted (with its append-only file, so data survives) while
 * executors keep resolving. Invariants: every granted answer has its `granted` audit line and its leases are in
 * the store; every other answer is a typed 503/4xx, never a 500; the gateway process never restarts; once Redis
 * is back, envelopes refused during the outage resolve (their nonces were released, not burned).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { envelopeBody, type Envelope } from '../../src/client/index.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { freePort } from '../helpers/redis_server.ts';
import { makeTempFolder } from '../helpers/kit.ts';

/** A private redis-server with appendfsync always, so a SIGKILL loses nothing acknowledged. */
class DurableRedis {
  private child: ChildProcess | undefined;
  readonly port: number;
  readonly dir: string;
  constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
  }
  async start(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      if (await fetchPing(this.port)) return;
      await delay(25);
    }
    throw new Error('redis did not start');
  }
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

async function fetchPing(port: number): Promise<boolean> {
  const net = await import('node:net');
  return await new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
    s.once('data', (d) => (s.destroy(), resolve(d.toString().startsWith('+PONG'))));
    s.once('error', () => resolve(false));
  });
}

describe('fault injection: Redis killed and restarted under load', function () {
  this.timeout(90_000);
  let gw: TestGateway;
  let redis: DurableRedis;
  let redisDir: Awaited<ReturnType<typeof makeTempFolder>>;
  let agent: https.Agent;

  const resolveRaw = (envelope: Envelope) =>
    new Promise<{ status: number; requestId: string; body: string }>((resolve, reject) => {
      const req = https.request(new URL('/v1/resolve', gw.url), { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, requestId: String(res.headers['x-request-id']), body }));
      });
      req.on('error', reject);
      req.end(envelopeBody(envelope));
    });

  before(async () => {
    redisDir = await makeTempFolder('crefgate-redis-aof-');
    redis = new DurableRedis(await freePort(), redisDir.path);
    await redis.start();
    const keyFile = path.join(redisDir.path, 'master.key');
    writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`);
    gw = await startGateway({
      mutate: (c) => {
        c.state = { kind: 'redis', redis: { url: `redis://127.0.0.1:${redis.port}`, key_prefix: 'crefgate:', command_timeout_ms: 300, connect_timeout_ms: 1000, master_keys: [{ key_id: 'k1', file: keyFile }] } };
      },
    });
    agent = new https.Agent({
      keepAlive: true,
      ca: readFileSync(path.join(gw.dir, 'pki', 'ca.crt')),
      cert: readFileSync(path.join(gw.dir, 'clients', 'executor.crt')),
      key: readFileSync(path.join(gw.dir, 'clients', 'executor.key')),
    });
  });
  after(async () => {
    agent.destroy();
    await gw.close();
    await redis.kill();
    await redisDir.remove();
  });

  it('grants only with an audit line and a stored lease, fails closed, and recovers without a restart', async () => {
    const coordinator = gw.client('coordinator');
    const envelopes: Envelope[] = [];
    for (let i = 0; i < 120; i++) envelopes.push(await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { github: 'cref://tenant_abc/github_token' }, ttl: 600 }));
    const answers: Array<{ envelope: Envelope; status: number; requestId: string; body: string }> = [];
    let next = 0;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < envelopes.length) {
          const envelope = envelopes[next++]!;
          answers.push({ envelope, ...(await resolveRaw(envelope)) });
          await delay(20);
        }
      }),
    );
    await delay(200);
    await redis.kill();
    await delay(700);
    await redis.start();
    await load;

    const granted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    assert.ok(granted.length > 0, 'some resolves went through');
    assert.ok(refused.length > 0, 'the outage was felt');
    for (const a of refused) {
      assert.ok(a.status === 503 || (a.status >= 400 && a.status < 500), `typed refusal, got ${a.status} ${a.body}`);
      assert.notEqual((JSON.parse(a.body) as { error: { code: string } }).error.code, 'internal');
    }
    const state = gw.gateway.services.state;
    for (let i = 0; i < 200 && !(await state.health()).ok; i++) await delay(50);
    const audit = await gw.auditLines();
    for (const a of granted) {
      const line = audit.find((l) => l.request_id === a.requestId);
      assert.equal(line?.outcome, 'granted', `granted ${a.requestId} has its audit line`);
      const leaseId = (JSON.parse(a.body) as { secrets: { github: { lease_id: string } } }).secrets.github.lease_id;
      assert.deepEqual(line.lease_ids, [leaseId]);
      assert.ok((await state.leases.get(leaseId)) !== undefined, `lease ${leaseId} survived the crash`);
    }

    // Recovery without restart: every envelope refused during the outage resolves now (nonce released, not burned).
    const deadline = Date.now() + 10_000;
    for (const a of refused) {
      let again = await resolveRaw(a.envelope);
      // 409 is transient here: a reservation made as Redis went down is released in the background once it is back.
      while ((again.status === 503 || again.status === 409) && Date.now() < deadline) {
        await delay(100);
        again = await resolveRaw(a.envelope);
      }
      assert.equal(again.status, 200, `refused envelope resolves after recovery: ${again.body}`);
    }
  });
});
