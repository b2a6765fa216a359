/**
 * The bare baseline: a minimal node:https mTLS server doing only the work every resolve must do, and nothing
 * else (no framework, no schema, no routing, no leases). Per request: read the body, HMAC-check the payload bytes,
 * check the RS256 token signature, SET NX the nonce in Redis, hash one audit line into a chain and append it with
 * a group commit (one write + fdatasync per batch, as crefgate's file sink does), answer a fixed secret.
 * Its throughput is the practical limit of this machine for that work; crefgate is reported as a ratio of it.
 * Bench-only code: it trusts its own envelopes' layout and checks nothing else.
 */
import { createHash, createHmac, createPublicKey, createPrivateKey, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';

interface Waiter {
  line: string;
  done: (err?: unknown) => void;
}

/** Group commit in its simplest form: whatever queued while the previous write+fdatasync ran goes in the next. */
class AppendLog {
  private queue: Waiter[] = [];
  private flushing = false;
  private prev = '0'.repeat(64);
  private seq = 0;
  private readonly handle: Awaited<ReturnType<typeof open>>;

  constructor(handle: Awaited<ReturnType<typeof open>>) {
    this.handle = handle;
  }

  append(fields: Record<string, unknown>): Promise<void> {
    const line = JSON.stringify({ seq: this.seq++, prev: this.prev, ...fields });
    this.prev = createHash('sha256').update(line).digest('hex');
    return new Promise((resolve, reject) => {
      this.queue.push({ line, done: (err) => (err === undefined ? resolve() : reject(err)) });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.handle.write(`${batch.map((w) => w.line).join('\n')}\n`);
        await this.handle.datasync();
        for (const w of batch) w.done();
      } catch (err) {
        for (const w of batch) w.done(err);
      }
    }
    this.flushing = false;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Starts the baseline on 127.0.0.1 with the state folder's certificates and keys; `redisUrl` holds the nonces. */
export async function startBaseline(stateDir: string, redisUrl: string): Promise<{ port: number; close(): Promise<void> }> {
  const read = (p: string) => readFile(path.join(stateDir, p));
  const hmacSecret = Buffer.from((await read('executors/exec-01.hmac')).toString().trim(), 'base64url');
  const publicKey = createPublicKey(createPrivateKey(await read('keys/token-signing.pem')));
  const redis = new Redis(redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
  const log = new AppendLog(await open(path.join(stateDir, 'audit', 'baseline.log'), 'a'));
  const answer = JSON.stringify({ secrets: { token: { value: 'x'.repeat(49) } } });

  const send = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  };
  const refuse = (res: ServerResponse, status: number) => {
    send(res, status, '{"error":"refused"}');
  };

  const server = https.createServer(
    {
      cert: await read('pki/server.crt'),
      key: await read('pki/server.key'),
      ca: await read('pki/ca.crt'),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const envelope = JSON.parse(body) as { payload: { nonce: string; tenant: string; job_id: string }; sig: string; token: string };
          // The payload's exact bytes: envelopeBody() puts them first, up to the kid member.
          const payloadText = body.slice('{"payload":'.length, body.indexOf(',"kid":'));
          const expected = createHmac('sha256', hmacSecret).update(payloadText).digest();
          const given = Buffer.from(envelope.sig, 'base64url');
          if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refuse(res, 401);
          const [h, p, s] = envelope.token.split('.') as [string, string, string];
          if (!verifySignature('sha256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url'))) return refuse(res, 401);
          const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { exp: number };
          const ttl = Math.max(1000, claims.exp * 1000 - Date.now());
          const set = await redis.set(`baseline:nonce:${envelope.payload.tenant}:${envelope.payload.nonce}`, '1', 'PX', ttl, 'NX');
          if (set !== 'OK') return refuse(res, 409);
          await log.append({ time: Date.now(), action: 'resolve', outcome: 'granted', job_id: envelope.payload.job_id });
          send(res, 200, answer);
        })().catch(() => refuse(res, 503));
      });
    },
  );
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await log.close();
      redis.disconnect();
    },
  };
}
