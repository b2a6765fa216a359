/**
 * An HTTP proxy in front of a backend emulator that holds the requests whose path matches, until the test opens
 * the gate: a slow backend on demand, so a test can act while a resolve is waiting on it (completion races).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GateProxy {
  url: string;
  /** Resolves once `count` matching requests are being held. */
  held(count?: number): Promise<void>;
  /** Lets every held and later request through. */
  open(): void;
  /** Holds matching requests again. */
  close(): void;
  stop(): Promise<void>;
}

/** Starts a proxy to `target` (http://host:port) that holds requests whose path matches `hold`. */
export async function startGateProxy(target: string, hold: RegExp): Promise<GateProxy> {
  let gate: { promise: Promise<void>; release: () => void } | undefined;
  let waiting = 0;
  const watchers: Array<{ count: number; done: () => void }> = [];
  const closeGate = () => {
    let release = () => {};
    const promise = new Promise<void>((r) => (release = r));
    gate = { promise, release };
  };
  const notify = () => {
    for (const w of [...watchers]) if (waiting >= w.count) (watchers.splice(watchers.indexOf(w), 1), w.done());
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (gate !== undefined && hold.test(req.url ?? '')) {
        waiting += 1;
        notify();
        await gate.promise;
        waiting -= 1;
      }
      const upstream = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closeGate();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: (count = 1) => new Promise<void>((done) => (watchers.push({ count, done }), notify())),
    open: () => {
      gate?.release();
      gate = undefined;
    },
    close: closeGate,
    stop: async () => {
      gate?.release();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
