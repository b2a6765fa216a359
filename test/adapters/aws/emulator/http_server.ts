/**
 * The node:http plumbing both AWS emulators share: bind 127.0.0.1 on port 0, buffer the request body, and
 * close cleanly even while a "hang" fault is holding requests open.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Returns a reply, or undefined to leave the request hanging (fault injection). */
export type Handler = (request: http.IncomingMessage, body: string) => Reply | undefined;

export interface RunningServer {
  endpoint: string;
  close(): Promise<void>;
}

/** Starts a loopback HTTP server on a free port. */
export async function startServer(handle: Handler): Promise<RunningServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let reply: Reply | undefined;
      try {
        reply = handle(req, Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        reply = { status: 500, headers: { 'content-type': 'text/plain' }, body: `emulator bug: ${String(err)}` };
      }
      if (reply === undefined) return;
      res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body)) });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One emulated AWS service of one region on its own loopback server; a subclass answers the requests. */
export abstract class AwsServiceEmulator {
  readonly region: string;
  #server: RunningServer | undefined;

  constructor(region = 'eu-west-1') {
    this.region = region;
  }

  /** Starts listening; returns the endpoint URL. */
  async start(): Promise<string> {
    this.#server = await startServer((req, body) => this.handle(req, body));
    return this.#server.endpoint;
  }

  get endpoint(): string {
    if (this.#server === undefined) throw new Error('emulator not started');
    return this.#server.endpoint;
  }

  async close(): Promise<void> {
    await this.#server?.close();
  }

  /** The reply to one request, or undefined to leave it hanging (fault injection). */
  protected abstract handle(req: http.IncomingMessage, body: string): Reply | undefined;
}
