/**
 * Replica-side reads are never used for anything that guards a secret: the client for each topology is built to
 * talk to masters only (a replica can be behind, and a stale "unknown nonce" is a replay), and to follow a
 * Sentinel promotion by itself. Checked on the client options, without connecting.
 */
import assert from 'node:assert/strict';
import type { Cluster, Redis } from 'ioredis';
import { GatewayError } from '../../src/errors.ts';
import { createClient } from '../../src/state/redis/connect.ts';
import { testConfig } from './redis_fixture.ts';

const connect = { env: {}, configDir: process.cwd() };

describe('redis connect: masters only', () => {
  it('Sentinel: role master, failover detector on, a READONLY answer rebuilds the connection', () => {
    const client = createClient(testConfig({ url: undefined, sentinel: { name: 'm', sentinels: [{ host: '127.0.0.1', port: 1 }] } }), connect) as Redis;
    try {
      assert.equal(client.options.role, 'master');
      assert.equal(client.options.failoverDetector, true);
      assert.equal(client.options.enableOfflineQueue, false);
      const reconnect = client.options.reconnectOnError as (err: Error) => boolean | 1 | 2;
      assert.equal(reconnect(new Error("READONLY You can't write against a read only replica.")), 1);
      assert.equal(reconnect(new Error('ERR something else')), false);
    } finally {
      client.disconnect();
    }
  });

  it('Cluster: reads and writes go to the master of the slot, never a replica', () => {
    const client = createClient(testConfig({ url: undefined, cluster: { nodes: [{ host: '127.0.0.1', port: 1 }] } }), connect) as Cluster;
    try {
      assert.equal(client.options.scaleReads, 'master');
      assert.equal(client.options.enableOfflineQueue, false);
    } finally {
      client.disconnect();
    }
  });

  it('refuses two topologies at once', () => {
    assert.throws(
      () => createClient(testConfig({ sentinel: { name: 'm', sentinels: [{ host: '127.0.0.1', port: 1 }] } }), connect),
      (err) => err instanceof GatewayError && err.code === 'internal' && /set only one of url, sentinel, cluster/.test(err.reason),
    );
  });
});
