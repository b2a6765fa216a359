/**
 * Runs the audit-sink conformance suite (describe_sink.ts) on the file, HTTP (a loopback collector), Redis Streams
 * (the shared 127.0.0.1:6379, a unique stream key, deleted afterwards) and stdout sinks, and on the test fake.
 * Durability is held or broken where it really happens: fsync of the file or spool (FileHandle.datasync), the
 * Redis server's reply (a loopback relay that withholds it), the stream's write callback.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { openFileSink } from '../../src/audit/sinks/file_sink.ts';
import { openHttpSink } from '../../src/audit/sinks/http_sink.ts';
import { redisSink } from '../../src/audit/sinks/redis_sink.ts';
import { checkpointLine } from '../../src/audit/sinks/sink.ts';
import { stdoutSink } from '../../src/audit/sinks/stdout_sink.ts';
import { describeAuditSink, ORIGIN, type SinkSubject } from './describe_sink.ts';
import { FakeSink } from './fake_sink.ts';

type Gate = Pick<SinkSubject, 'hold' | 'release'> & { breakIt(): Promise<void>; recover(): Promise<void>; restore(): void };

/** Holds or fails `FileHandle.datasync` for the whole process (the file and HTTP sinks' durability step). */
async function datasyncGate(): Promise<Gate> {
  const probe = await open(os.devNull, 'r');
  const proto = Object.getPrototypeOf(probe) as { datasync: (this: unknown) => Promise<void> };
  await probe.close();
  const original = proto.datasync;
  let held: Promise<void> | undefined;
  let letGo: (() => void) | undefined;
  let broken = false;
  proto.datasync = async function (this: unknown) {
    if (broken) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    if (held !== undefined) await held;
    return original.call(this);
  };
  return {
    hold: () => (held = new Promise<void>((r) => (letGo = r))),
    release: () => {
      letGo?.();
      held = undefined;
    },
    breakIt: async () => {
      broken = true;
    },
    recover: async () => {
      broken = false;
    },
    restore: () => (proto.datasync = original),
  };
}

function readTree(dir: string): string {
  return readdirSync(dir)
    .map((name) => path.join(dir, name))
    .map((file) => (statSync(file).isDirectory() ? readTree(file) : readFileSync(file, 'utf8')))
    .join('\n');
}

/** Complete lines of a text, split by kind (events carry a seq; checkpoint lines a `type`). */
function linesOf(text: string): { events: string[]; checkpoints: string[] } {
  const lines = text.split('\n').slice(0, -1).filter((l) => l.length > 0);
  const isCheckpoint = (l: string) => (JSON.parse(l) as { type?: string }).type === 'checkpoint';
  return { events: lines.filter((l) => !isCheckpoint(l)), checkpoints: lines.filter(isCheckpoint) };
}

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), 'crefgate-sink-'));

describeAuditSink('file', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'audit.log');
  const gate = await datasyncGate();
  const sink = await openFileSink({ name: 'file', required: true, path: file, now: Date.now, notice: () => undefined });
  return {
    sink,
    ...gate,
    stored: async () => linesOf(readFileSync(file, 'utf8')).events,
    traces: async () => readTree(dir),
    secrets: [],
    cleanup: async () => {
      gate.restore();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeAuditSink('http (NDJSON to a loopback collector)', async () => {
  const dir = tempDir();
  const token = `tok-${randomUUID()}`;
  const received: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401).end();
        return;
      }
      received.push(body);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/ingest`;
  const gate = await datasyncGate();
  const sink = await openHttpSink({ name: 'siem', required: true, url, format: 'ndjson', token, spoolDir: dir, maxBatchEvents: 100, timeoutMs: 2000, maxBackoffMs: 200, origin: ORIGIN });
  return {
    sink,
    ...gate,
    stored: async () => linesOf(readFileSync(path.join(dir, 'siem.spool'), 'utf8')).events,
    delivered: async () => linesOf(received.join('')).events,
    checkpoints: async () => linesOf(received.join('')).checkpoints,
    traces: async () => `${readTree(dir)}\n${received.join('')}`,
    secrets: [token],
    cleanup: async () => {
      gate.restore();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

/** A loopback relay to Redis that can withhold the server's replies (the ack) until released. */
async function relay(port: number): Promise<{ port: number; hold(): void; release(): void; close(): Promise<void> }> {
  let held = false;
  const queued: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => (held ? queued.push(() => client.write(chunk)) : client.write(chunk)));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    hold: () => (held = true),
    release: () => {
      held = false;
      for (const send of queued.splice(0)) send();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describeAuditSink('redis (Streams, through a relay that can hold the ack)', async () => {
  const stream = `crefgate:test:sink-conformance:${randomUUID()}`;
  const admin = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const via = await relay(6379);
  const sink = redisSink({ name: 'redis', required: true, stream, url: `redis://127.0.0.1:${via.port}` });
  const entries = async (key: string) => ((await admin.type(key)) === 'stream' ? await admin.xrange(key, '-', '+') : []);
  const field = (fields: string[], name: string) => fields[fields.indexOf(name) + 1]!;
  return {
    sink,
    hold: via.hold,
    release: via.release,
    // A key of another type makes every XADD of the batch fail (WRONGTYPE), as a full or broken server would.
    breakIt: async () => {
      await admin.del(stream);
      await admin.set(stream, 'not a stream');
    },
    recover: async () => {
      if ((await admin.type(stream)) === 'string') await admin.del(stream);
    },
    stored: async () => (await entries(stream)).map(([, fields]) => field(fields, 'line')),
    checkpoints: async () =>
      (await entries(`${stream}:checkpoints`)).map(([, f]) => checkpointLine({ type: 'checkpoint', origin: ORIGIN, size: Number(field(f, 'size')), note: field(f, 'note') })),
    traces: async () => [...(await entries(stream)), ...(await entries(`${stream}:checkpoints`))].flatMap(([, f]) => f).join('\n'),
    secrets: [],
    cleanup: async () => {
      await admin.del(stream, `${stream}:checkpoints`);
      await via.close();
      admin.disconnect();
    },
  };
});

describeAuditSink('stdout (a captured stream)', async () => {
  let text = '';
  let held: (() => void)[] | undefined;
  let broken = false;
  // Only `write(chunk, callback)` is used: the callback is when the OS took the bytes.
  const stream = {
    write(chunk: string, callback: (err?: Error | null) => void): boolean {
      if (broken) {
        queueMicrotask(() => callback(new Error('EPIPE: broken pipe, write')));
        return false;
      }
      const accept = () => {
        text += chunk;
        callback(null);
      };
      if (held !== undefined) held.push(accept);
      else queueMicrotask(accept);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  const sink = stdoutSink({ name: 'stdout', required: true, stream });
  return {
    sink,
    hold: () => (held ??= []),
    release: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const accept of waiting) accept();
    },
    breakIt: async () => {
      broken = true;
    },
    recover: async () => {
      broken = false;
    },
    stored: async () => linesOf(text).events,
    checkpoints: async () => linesOf(text).checkpoints,
    traces: async () => text,
    secrets: [],
    cleanup: async () => undefined,
  };
});

describeAuditSink('test fake (test/audit/fake_sink.ts)', async () => {
  const fake = new FakeSink('fake', true);
  return {
    sink: fake,
    hold: () => (fake.mode = 'hang'),
    release: () => {
      if (fake.mode === 'hang') fake.mode = 'ok';
      fake.unstick();
    },
    breakIt: async () => {
      fake.mode = 'fail';
    },
    recover: async () => {
      if (fake.mode === 'fail') fake.mode = 'ok';
    },
    stored: async () => [...fake.lines],
    checkpoints: async () => [...fake.checkpoints],
    traces: async () => [...fake.lines, ...fake.checkpoints].join('\n'),
    secrets: [],
    cleanup: async () => undefined,
  };
});
