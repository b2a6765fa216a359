/**
 * A wire-level GitHub REST API emulator on http://127.0.0.1 (port 0), for the github-app adapter and its
 * official clients (@octokit/auth-app, @octokit/rest). It serves what GitHub documents for App installation
 * tokens: app-JWT endpoints (`GET /app`, installation by id or lookup by org, user or repository, `POST
 * /app/installations/{id}/access_tokens`) and installation-token endpoints (`GET /installation/repositories`,
 * `GET /repos/{owner}/{repo}`, `DELETE /installation/token` → 204). Revoked or expired tokens get 401. Faults
 * reproduce GitHub's primary rate limit (403 with `x-ratelimit-remaining: 0`), its secondary limit (429 with
 * `retry-after`) and outages (503). Every request is recorded (auth scheme, never the credential).
 */
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyAppJwt, type RegisteredApp } from './app_jwt.ts';
import { GitHubFailure, GitHubModel, type Installation, type MintedToken, type PermissionLevel } from './model.ts';

export type GitHubFault = 'throttled' | 'secondary_rate_limit' | 'unavailable';

export interface ObservedRequest {
  method: string;
  path: string;
  /** `jwt`, `token` or `none`: which credential the request carried. */
  auth: 'jwt' | 'token' | 'none';
  body: unknown;
}

/** Rewrites a successful access-token answer before it is sent (to test the adapter's answer checks). */
export type AnswerTamper = (answer: Record<string, unknown>) => Record<string, unknown>;

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class GitHubEmulator {
  readonly model: GitHubModel;
  readonly app: RegisteredApp;
  /** The app's private key (PKCS#1 PEM, as GitHub hands it out): the gateway's config reads it from a file or env. */
  readonly privateKeyPem: string;
  readonly requests: ObservedRequest[] = [];
  fault: GitHubFault | null = null;
  retryAfterSeconds = 7;
  tamper: AnswerTamper | null = null;
  #offsetMs = 0;
  readonly #server: http.Server;

  private constructor(server: http.Server) {
    this.#server = server;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    this.app = { id: 424242, clientId: 'Iv23liCrefgateEmu01', publicKey };
    this.model = new GitHubModel(() => this.now());
  }

  /** Starts on 127.0.0.1 and a free port. */
  static async start(): Promise<GitHubEmulator> {
    const server = http.createServer();
    const emulator = new GitHubEmulator(server);
    server.on('request', (req, res) => void emulator.#handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return emulator;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  now(): number {
    return Date.now() + this.#offsetMs;
  }

  /** Moves the emulator's clock (token expiry, JWT checks) forward. */
  advance(ms: number): void {
    this.#offsetMs += ms;
  }

  install(login: string, options: { type?: 'Organization' | 'User'; repositories: string[]; permissions: Record<string, PermissionLevel> }): Installation {
    return this.model.install(login, options);
  }

  /** The minted token record for a token value (tests check scope and revocation). */
  minted(token: string): MintedToken | undefined {
    return this.model.tokens.get(token);
  }

  /** Tokens not revoked and not expired. */
  liveTokens(): MintedToken[] {
    return [...this.model.tokens.values()].filter((t) => !t.revoked && t.expiresAt > this.now());
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const method = req.method ?? 'GET';
    const credential = /^(?:bearer|token)\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const auth = credential === undefined ? 'none' : credential.includes('.') ? 'jwt' : 'token';
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      return this.#send(res, 400, { message: 'Problems parsing JSON' });
    }
    this.requests.push({ method, path, auth, body });
    if (this.fault === 'throttled') {
      return this.#send(res, 403, { message: 'API rate limit exceeded for installation.' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(this.now() / 1000) + this.retryAfterSeconds) });
    }
    if (this.fault === 'secondary_rate_limit') {
      return this.#send(res, 429, { message: 'You have exceeded a secondary rate limit.' }, { 'retry-after': String(this.retryAfterSeconds) });
    }
    if (this.fault === 'unavailable') return this.#send(res, 503, { message: 'Service Unavailable' });
    try {
      const [status, answer] = this.#route(method, path, credential, auth, body);
      return this.#send(res, status, answer);
    } catch (err) {
      if (err instanceof GitHubFailure) return this.#send(res, err.status, { message: err.message });
      return this.#send(res, 500, { message: 'emulator error' });
    }
  }

  #route(method: string, path: string, credential: string | undefined, auth: ObservedRequest['auth'], body: unknown): [number, unknown] {
    const asApp = () => {
      if (auth !== 'jwt' || credential === undefined) throw new GitHubFailure(401, 'A JSON web token could not be decoded');
      verifyAppJwt(credential, this.app, Math.floor(this.now() / 1000));
    };
    const asInstallation = () => {
      if (auth !== 'token' || credential === undefined) throw new GitHubFailure(401, 'Bad credentials');
      return this.model.liveToken(credential);
    };
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/app') {
      asApp();
      return [200, { id: this.app.id, client_id: this.app.clientId, slug: 'crefgate-emulator', name: 'crefgate emulator' }];
    }
    if (method === 'GET' && (m = /^\/(orgs|users)\/([^/]+)\/installation$/.exec(path)) !== null) {
      asApp();
      return [200, this.#installationJson(this.model.findInstallation(m[1] === 'orgs' ? { org: m[2]! } : { user: m[2]! }))];
    }
    if (method === 'GET' && (m = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(path)) !== null) {
      asApp();
      return [200, this.#installationJson(this.model.findInstallation({ repo: `${m[1]}/${m[2]}` }))];
    }
    if (method === 'GET' && (m = /^\/app\/installations\/(\d+)$/.exec(path)) !== null) {
      asApp();
      const installation = this.model.installations.get(Number(m[1]));
      if (installation === undefined) throw new GitHubFailure(404, 'Not Found');
      return [200, this.#installationJson(installation)];
    }
    if (method === 'POST' && (m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path)) !== null) {
      asApp();
      const asked = (body ?? {}) as { repositories?: unknown; repository_ids?: unknown; permissions?: unknown };
      const minted = this.model.mint(Number(m[1]), asked);
      const narrowed = asked.repositories !== undefined || asked.repository_ids !== undefined;
      let answer: Record<string, unknown> = {
        token: minted.token,
        expires_at: isoSeconds(minted.expiresAt),
        permissions: minted.permissions,
        repository_selection: narrowed ? 'selected' : 'all',
        ...(narrowed ? { repositories: minted.repositories } : {}),
      };
      if (this.tamper !== null) answer = this.tamper(answer);
      return [201, answer];
    }
    if (method === 'DELETE' && path === '/installation/token') {
      asInstallation().revoked = true;
      return [204, undefined];
    }
    if (method === 'GET' && path === '/installation/repositories') {
      const token = asInstallation();
      return [200, { total_count: token.repositories.length, repository_selection: 'selected', repositories: token.repositories }];
    }
    if (method === 'GET' && (m = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path)) !== null) {
      const token = asInstallation();
      const repo = token.repositories.find((r) => r.full_name.toLowerCase() === `${m![1]}/${m![2]}`.toLowerCase());
      if (repo === undefined) throw new GitHubFailure(404, 'Not Found');
      return [200, repo];
    }
    throw new GitHubFailure(404, 'Not Found');
  }

  #installationJson(installation: Installation): unknown {
    return {
      id: installation.id,
      account: installation.account,
      app_id: this.app.id,
      client_id: this.app.clientId,
      target_type: installation.account.type,
      permissions: installation.permissions,
      repository_selection: 'selected',
    };
  }

  #send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const base = { 'x-github-request-id': `EMU:${this.requests.length}`, 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', ...headers };
    if (status === 204 || body === undefined) {
      res.writeHead(status, base).end();
      return;
    }
    const payload = status >= 400 ? { documentation_url: 'https://docs.github.com/rest', status: String(status), ...(body as object) } : body;
    res.writeHead(status, { ...base, 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(payload));
  }
}
