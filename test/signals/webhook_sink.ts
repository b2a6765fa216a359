/** The alert webhook's receiving end for the gateway signal tests: a loopback server that keeps every JSON body. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookSink {
  /** Where the gateway posts (`…/alerts`). */
  url: string;
  /** Every body received, parsed, in order. */
  received: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Starts the sink on a free port; it answers 200 to every POST. */
export async function startWebhookSink(): Promise<WebhookSink> {
  const received: Array<Record<string, unknown>> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
