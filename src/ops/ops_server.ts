/**
 * The ops listener: plain HTTP on its own address (default 127.0.0.1:9464) for Prometheus and for liveness and
 * readiness probes, which carry no client certificate. It serves no secret and takes no input: GET only, four
 * fixed paths. While the gateway drains, readiness answers 503 so load balancers stop sending new work.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readiness } from '../readiness.ts';
import type { GatewayServices } from '../services.ts';
import type { GatewayMetrics } from './metrics.ts';

export interface OpsServerOptions {
  host: string;
  port: number;
  metrics: GatewayMetrics;
  services: GatewayServices;
  /** True once shutdown began. */
  draining: () => boolean;
  /** The OpenAPI document (served here too, so tooling needs no client certificate). */
  openapi: () => unknown;
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const json = (res: http.ServerResponse, status: number, value: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

/** A listener not yet listening; `listen()` binds it. */
export class OpsServer {
  readonly server: http.Server;
  private readonly options: OpsServerOptions;

  constructor(options: OpsServerOptions) {
    this.options = options;
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => json(res, 500, { error: { code: 'internal' } }));
    });
    this.server.headersTimeout = 5000;
    this.server.requestTimeout = 10_000;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://ops').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: { code: 'malformed' } });
    switch (path) {
      case '/metrics': {
        const { contentType, body } = await this.options.metrics.expose();
        return send(res, 200, contentType, body);
      }
      case '/v1/sys/health':
        return json(res, 200, { status: 'ok' });
      case '/v1/sys/ready': {
        if (this.options.draining()) return json(res, 503, { ready: false, draining: true });
        const report = await readiness(this.options.services);
        return json(res, report.ready ? 200 : 503, report);
      }
      case '/v1/openapi.json':
        return json(res, 200, this.options.openapi());
      default:
        return json(res, 404, { error: { code: 'not_found' } });
    }
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
