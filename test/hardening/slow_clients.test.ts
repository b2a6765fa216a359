/**
 * Slow and hostile clients on the mTLS listener: a socket that never starts TLS, one that completes TLS and then
 * dribbles its headers, one that dribbles its body, and a connection flood past max_connections. Each is cut off
 * by its limit, and a normal executor keeps resolving while they hang on.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { setTimeout as delay } from 'node:timers/promises';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

/** Resolves with how long the server took to close `socket` (rejects after `maxMs`). */
function closedWithin(socket: net.Socket, maxMs: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${maxMs} ms`)), maxMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
    socket.on('error', () => undefined);
  });
}

describe('slow and hostile clients', function () {
  this.timeout(30_000);
  let gw: TestGateway;
  let port: number;
  const identity = () => ({
    ca: readFileSync(path.join(gw.dir, 'pki', 'ca.crt')),
    cert: readFileSync(path.join(gw.dir, 'clients', 'executor.crt')),
    key: readFileSync(path.join(gw.dir, 'clients', 'executor.key')),
  });
  const tlsConnect = async () => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...identity() });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    return socket;
  };
  const resolvesNormally = async () => {
    const envelope = await gw.client('coordinator').issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs: { github: 'cref://tenant_abc/github_token' }, ttl: 600 });
    const started = Date.now();
    const result = await gw.client('executor').resolve(envelope, { verify: false });
    assert.ok(result.secrets.github);
    return Date.now() - started;
  };

  before(async () => {
    gw = await startGateway({
      mutate: (c) => {
        c.gateway.headers_timeout_ms = 600;
        c.gateway.request_timeout_ms = 1200;
        c.gateway.tls_handshake_timeout_ms = 600;
        c.gateway.max_connections = 40;
      },
    });
    port = Number(new URL(gw.url).port);
  });
  after(() => gw.close());

  it('drops a connection that never starts the TLS handshake', async () => {
    const socket = net.connect(port, '127.0.0.1');
    const took = await closedWithin(socket, 5000);
    assert.ok(took >= 400, `closed after ${took} ms, by the handshake timeout`);
  });

  it('drops a connection that sends half a ClientHello and stalls', async () => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])));
    await closedWithin(socket, 5000);
  });

  it('answers 408 and closes a client that completes TLS but dribbles its headers', async () => {
    const socket = await tlsConnect();
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const dribble = setInterval(() => socket.writable && socket.write('x'), 100);
    socket.write('POST /v1/resolve HTTP/1.1\r\nhost: localhost\r\nx-slow: ');
    try {
      const took = await closedWithin(socket, 5000);
      assert.ok(took < 4000, `closed after ${took} ms`);
    } finally {
      clearInterval(dribble);
    }
    assert.ok(answer === '' || answer.startsWith('HTTP/1.1 408'), answer.slice(0, 40));
  });

  it('cuts off a client that sends its headers and dribbles the body', async () => {
    const socket = await tlsConnect();
    socket.write('POST /v1/resolve HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{');
    const dribble = setInterval(() => socket.writable && socket.write(' '), 100);
    try {
      const took = await closedWithin(socket, 6000);
      assert.ok(took < 5000, `closed after ${took} ms`);
    } finally {
      clearInterval(dribble);
    }
  });

  it('keeps serving a normal executor while slow-loris clients hold connections', async () => {
    const loris = await Promise.all(Array.from({ length: 20 }, () => tlsConnect()));
    const dribble = setInterval(() => {
      for (const s of loris) if (s.writable) s.write('x');
    }, 100);
    for (const s of loris) {
      s.on('error', () => undefined);
      s.write('GET /v1/jwks HTTP/1.1\r\nhost: localhost\r\nx-slow: ');
    }
    try {
      for (let i = 0; i < 3; i++) assert.ok((await resolvesNormally()) < 2000);
    } finally {
      clearInterval(dribble);
      for (const s of loris) s.destroy();
    }
  });

  it('refuses connections beyond max_connections and recovers once they close', async () => {
    const held = await Promise.all(Array.from({ length: 40 }, () => net.connect(port, '127.0.0.1')));
    await delay(200);
    const extra = net.connect(port, '127.0.0.1');
    await closedWithin(extra, 3000);
    for (const s of held) s.destroy();
    await delay(200);
    assert.ok((await resolvesNormally()) < 2000);
  });
});
