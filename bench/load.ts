/**
 * The load generator: raw HTTP/1.1 over mTLS keep-alive connections (one request in flight per connection, no
 * pipelining), so the client costs little next to the server it measures. Two modes: a closed loop at a fixed
 * concurrency (throughput), and an open loop at a fixed offered rate where latency counts from the moment a
 * request was due, so a slow server cannot hide its queueing (no coordinated omission). Both stop by themselves:
 * at their request count or their deadline, whichever comes first.
 */
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';

export interface TlsIdentity {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export interface LoadResult {
  /** Completed requests by HTTP status (0 = connection error). */
  statuses: Map<number, number>;
  /** Latency of every completed request, milliseconds. */
  latencies: number[];
  elapsedMs: number;
  /** Open loop only: due requests dropped because no envelope was ready. */
  starved: number;
}

interface Response {
  status: number;
  body: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** One keep-alive connection; reconnects on the next request after the server closed it. */
class Connection {
  private socket: tls.TLSSocket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: Response) => void; reject: (e: Error) => void } | undefined;
  private readonly port: number;
  private readonly identity: TlsIdentity;

  constructor(port: number, identity: TlsIdentity) {
    this.port = port;
    this.identity = identity;
  }

  private async connect(): Promise<tls.TLSSocket> {
    if (this.socket !== undefined && !this.socket.destroyed) return this.socket;
    const socket = tls.connect({ host: '127.0.0.1', port: this.port, servername: 'localhost', ...this.identity });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    this.buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (err?: Error) => {
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(err ?? new Error('connection closed'));
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
    this.socket = socket;
    return socket;
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const end = this.buffer.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (length === null) {
      this.socket?.destroy(new Error('response without content-length'));
      return;
    }
    const total = end + 4 + Number(length[1]);
    if (this.buffer.length < total) return;
    const body = this.buffer.subarray(end + 4, total).toString('utf8');
    this.buffer = this.buffer.subarray(total);
    const w = this.waiting;
    this.waiting = undefined;
    w?.resolve({ status: Number(head.slice(9, 12)), body });
  }

  async request(bytes: Buffer): Promise<Response> {
    const socket = await this.connect();
    return await new Promise<Response>((resolve, reject) => {
      this.waiting = { resolve, reject };
      socket.write(bytes);
    });
  }

  close(): void {
    this.socket?.destroy();
  }
}

/** The bytes of `POST path` with a JSON body. */
export function postRequest(path: string, body: string): Buffer {
  const payload = Buffer.from(body);
  const head = `POST ${path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${payload.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), payload]);
}

function record(result: LoadResult, status: number, started: number): void {
  result.statuses.set(status, (result.statuses.get(status) ?? 0) + 1);
  result.latencies.push(performance.now() - started);
}

/** Opens `count` connections (TLS handshakes done before timing starts). */
export async function openConnections(port: number, identity: TlsIdentity, count: number): Promise<Connection[]> {
  const connections = Array.from({ length: count }, () => new Connection(port, identity));
  await Promise.all(connections.map((c) => c.request(postRequest('/v1/nothing', '{}')).catch(() => undefined)));
  return connections;
}

/** Closed loop: every connection sends its next request as soon as the previous answer arrived. */
export async function closedLoop(connections: Connection[], next: () => Buffer | undefined, maxMs: number): Promise<LoadResult> {
  const result: LoadResult = { statuses: new Map(), latencies: [], elapsedMs: 0, starved: 0 };
  const t0 = performance.now();
  const deadline = t0 + maxMs;
  await Promise.all(
    connections.map(async (c) => {
      for (let bytes = next(); bytes !== undefined && performance.now() < deadline; bytes = next()) {
        const started = performance.now();
        const status = await c.request(bytes).then((r) => r.status, () => 0);
        record(result, status, started);
      }
    }),
  );
  result.elapsedMs = performance.now() - t0;
  return result;
}

/**
 * Open loop: request i is due at t0 + i/rate. A due request takes an idle connection, or waits for one; its
 * latency runs from when it was due. Requests due after `durationMs` are never sent.
 */
export async function openLoop(connections: Connection[], next: () => Buffer | undefined, rate: number, durationMs: number): Promise<LoadResult> {
  const result: LoadResult = { statuses: new Map(), latencies: [], elapsedMs: 0, starved: 0 };
  const idle = [...connections];
  const queue: Array<{ bytes: Buffer; due: number }> = [];
  const inFlight = new Set<Promise<void>>();
  const t0 = performance.now();
  const total = Math.floor((rate * durationMs) / 1000);
  let scheduled = 0;

  const dispatch = () => {
    while (idle.length > 0 && queue.length > 0) {
      const connection = idle.pop()!;
      const { bytes, due } = queue.shift()!;
      const p: Promise<void> = connection
        .request(bytes)
        .then((r) => r.status, () => 0)
        .then((status) => {
          record(result, status, due);
          idle.push(connection);
          inFlight.delete(p);
          dispatch();
          return undefined;
        });
      inFlight.add(p);
    }
  };

  while (scheduled < total) {
    const now = performance.now();
    while (scheduled < total && t0 + (scheduled * 1000) / rate <= now) {
      const bytes = next();
      if (bytes === undefined) result.starved++;
      else queue.push({ bytes, due: t0 + (scheduled * 1000) / rate });
      scheduled++;
    }
    dispatch();
    const wait = t0 + (scheduled * 1000) / rate - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(wait, 5))));
  }
  while (queue.length > 0 || inFlight.size > 0) await Promise.race([...inFlight, new Promise((r) => setTimeout(r, 5))]);
  result.elapsedMs = performance.now() - t0;
  return result;
}

/** The q-quantile (0..1) of sorted values. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
