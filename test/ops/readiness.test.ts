import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { RedisServer } from '../helpers/redis_server.ts';
import { opsGet } from './ops_helpers.ts';
import { tempFolder } from '../helpers/kit.ts';

interface Report {
  ready: boolean;
  state: { ok: boolean };
  audit: Array<{ name: string; required: boolean; ok: boolean }>;
}

/** Polls readiness until `ready` is as wanted (health checks and reconnects take a moment). */
async function readyBecomes(gw: TestGateway, ready: boolean): Promise<{ status: number; report: Report }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await opsGet(gw, '/v1/sys/ready');
    const report = res.json as Report;
    if (report.ready === ready || Date.now() > deadline) return { status: res.status, report };
    await delay(100);
  }
}

describe('ops: readiness follows the state store and the required audit sinks', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  const keys = tempFolder('crefgate-ops-key-');

  before(async () => {
    redis = await RedisServer.start();
    await writeFile(path.join(keys.path, 'master.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  });
  after(async () => {
    await redis.stop();
  });

  it('turns 503 while Redis (the state store) is down, and 200 again when it is back', async () => {
    const gw = await startGateway({
      mutate: (config) => {
        config.state = {
          kind: 'redis',
          redis: { url: redis.url, key_prefix: `ops${randomBytes(3).toString('hex')}:`, command_timeout_ms: 300, connect_timeout_ms: 500, master_keys: [{ key_id: 'm1', file: path.join(keys.path, 'master.key') }] },
        };
      },
    });
    try {
      assert.equal((await readyBecomes(gw, true)).status, 200);
      await redis.stop();
      const down = await readyBecomes(gw, false);
      assert.equal(down.status, 503);
      assert.equal(down.report.state.ok, false);
      assert.equal((await opsGet(gw, '/v1/sys/health')).status, 200, 'liveness does not depend on Redis');
      await redis.restart();
      assert.equal((await readyBecomes(gw, true)).status, 200);
    } finally {
      await gw.close();
    }
  });

  it('turns 503 while a required audit sink is down', async () => {
    const sinkRedis = await RedisServer.start();
    const gw = await startGateway({
      mutate: (config) => {
        config.audit.sinks.push({ type: 'redis', name: 'siem', required: true, url: sinkRedis.url });
      },
    });
    try {
      assert.equal((await readyBecomes(gw, true)).status, 200);
      await sinkRedis.stop();
      const down = await readyBecomes(gw, false);
      assert.equal(down.status, 503);
      assert.equal(down.report.state.ok, true);
      assert.deepEqual(down.report.audit.find((s) => s.name === 'siem'), { name: 'siem', required: true, ok: false });
      assert.equal(down.report.audit.find((s) => s.name === 'file')?.ok, true);
    } finally {
      await gw.close();
      await sinkRedis.stop();
    }
  });
});
