/**
 * Minimal JSON-over-HTTPS transport for the client: one keep-alive agent, typed errors, bounded time. It
 * authenticates with a client certificate (the main, mTLS listener) or, for a workload without one, with an OIDC
 * identity token sent as `Authorization: Bearer` (the bootstrap listener: resolve, renew, revoke).
 */
import https from 'node:https';

export interface TransportOptions {
  /** Gateway base URL, e.g. https://127.0.0.1:8443 */
  url: string;
  /** CA bundle that signed the gateway's certificate. */
  ca: string | Buffer;
  /** Client certificate and key (PEM), for the mTLS listener. */
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
  /**
   * For the bootstrap listener: returns a current workload OIDC token (GitHub Actions: from
   * ACTIONS_ID_TOKEN_REQUEST_URL), asked for on every request, because these tokens live minutes and a renewal
   * may come an hour after the resolve. Its claims must still match the job's bindings.
   */
  identityToken?: (() => string | Promise<string>) | undefined;
  timeoutMs?: number;
}

/** An error answered by the gateway: stable `code`, HTTP `status`, and the `requestId` to quote to operators. */
export class CrefgateError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;

  constructor(status: number, code: string, message: string, requestId: string | undefined) {
    super(`${code}: ${message}${requestId === undefined ? '' : ` (request ${requestId})`}`);
    this.name = 'CrefgateError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

export class Transport {
  private readonly base: URL;
  /** The keep-alive mTLS agent (also what proxied requests go through: src/client/proxy.ts). */
  readonly agent: https.Agent;
  private readonly timeoutMs: number;
  private readonly identityToken: (() => string | Promise<string>) | undefined;

  constructor(options: TransportOptions) {
    this.base = new URL(options.url);
    const certificate = options.cert === undefined ? {} : { cert: options.cert, key: options.key };
    this.agent = new https.Agent({ keepAlive: true, ca: options.ca, ...certificate, maxSockets: 16 });
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.identityToken = options.identityToken;
  }

  /** How this transport proves who it is: a client certificate, or a workload OIDC token. */
  get auth(): 'mtls' | 'oidc' {
    return this.identityToken === undefined ? 'mtls' : 'oidc';
  }

  /** Sends one request; `rawBody` is sent verbatim when given (the resolve envelope must be byte-exact). */
  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown, rawBody?: string): Promise<T> {
    const payload = rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
    const url = new URL(path, this.base);
    const bearer = this.identityToken === undefined ? {} : { authorization: `Bearer ${await this.identityToken()}` };
    return await new Promise<T>((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          agent: this.agent,
          headers: { ...bearer, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }) },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              return reject(new CrefgateError(res.statusCode ?? 0, 'bad_response', 'gateway answered with non-JSON', undefined));
            }
            if ((res.statusCode ?? 500) >= 400) {
              const err = (parsed as { error?: { code?: string; message?: string; request_id?: string } } | undefined)?.error;
              return reject(new CrefgateError(res.statusCode ?? 0, err?.code ?? 'unknown', err?.message ?? `HTTP ${res.statusCode}`, err?.request_id));
            }
            resolve(parsed as T);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`request to ${url.pathname} timed out after ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
