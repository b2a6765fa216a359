/**
 * The github-app adapter: per-job GitHub App installation tokens, narrowed to the repositories and permissions
 * the route names and checked against GitHub's answer. A token lives one hour at GitHub; its lease ends with
 * the job or the token, whichever is first. Renewing a lease whose token would expire before the requested end
 * mints a replacement with the same scope (the gateway records it and revokes the old one through its queue).
 * Revoke is `DELETE /installation/token`, authenticated with the token, unsealed from the handle.
 */
import {
  AdapterError,
  type AdapterContext,
  type DynamicSecret,
  type HealthReport,
  type IssueRequest,
  type JsonValue,
  type RenewRequest,
  type RenewResult,
  type RevokeRequest,
  type SecretAdapter,
  type StaticSecret,
} from '../contract.ts';
import { createOctokitCalls, type CreateGitHubCalls, type GitHubCalls, type InstallationRef } from './client.ts';
import type { AdapterSeams } from '../kit/seams.ts';
import { manifest } from './index.ts';
import { mapGitHubError } from './map_error.ts';
import { loadPrivateKey } from './private_key.ts';
import type { GitHubAppOptions } from './options.ts';
import { checkAnswer, requestedScope, type TokenScope } from './scope.ts';
import { openToken, sealKeyOf, sealToken } from './token_seal.ts';

/** Seams for tests: the transport, the clock, the environment. */
export interface GitHubAppDeps extends AdapterSeams {
  createCalls?: CreateGitHubCalls;
}

/** Builds a github-app adapter; nothing is sent to GitHub until the first call. */
export function create(options: GitHubAppOptions, context: AdapterContext, deps: GitHubAppDeps = {}): GitHubAppAdapter {
  const key = loadPrivateKey(options, context, deps.env ?? process.env);
  const calls = (deps.createCalls ?? createOctokitCalls)({
    baseUrl: options.api_url.replace(/\/+$/, ''),
    appId: options.app_id,
    privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    timeoutMs: options.request_timeout_ms,
  });
  return new GitHubAppAdapter(calls, options, sealKeyOf(key, options.app_id), deps.now ?? Date.now);
}

/** The lease handle: everything renew and revoke need, the token only sealed. */
export interface GitHubTokenHandle {
  v: 1;
  installation_id: number;
  /** Epoch ms at which GitHub expires the token. */
  token_expires_at: number;
  repositories: string[];
  permissions: Record<string, string>;
  sealed_token: string;
}

const aadOf = (h: Pick<GitHubTokenHandle, 'installation_id' | 'token_expires_at'>) => `${h.installation_id}:${h.token_expires_at}`;

export class GitHubAppAdapter implements SecretAdapter {
  readonly kind: string = manifest.kind;
  readonly #calls: GitHubCalls;
  readonly #options: GitHubAppOptions;
  readonly #sealKey: Buffer;
  readonly #now: () => number;
  #installation: Promise<InstallationRef> | undefined;

  constructor(calls: GitHubCalls, options: GitHubAppOptions, sealKey: Buffer, now: () => number) {
    this.#calls = calls;
    this.#options = options;
    this.#sealKey = sealKey;
    this.#now = now;
  }

  /** GitHub holds no static secrets a token could read back: this mount only issues. */
  async read(): Promise<StaticSecret> {
    throw new AdapterError('invalid_reference', 'github-app mounts issue installation tokens only (routes need dynamic: true)');
  }

  /** Mints a token for exactly the route's repositories and permissions, bounded by the job. */
  async issue(request: IssueRequest): Promise<DynamicSecret> {
    const { signal } = request;
    if (signal.aborted) throw new AdapterError('timeout', 'github issue: aborted before sending');
    const installation = await this.#installationRef(signal);
    const scope = requestedScope(request, installation.account);
    const minted = await this.#mint(installation.id, scope, signal);
    const remaining = Math.floor((minted.handle.token_expires_at - this.#now()) / 1000);
    return {
      value: minted.token,
      leaseDuration: Math.max(1, Math.min(request.maxTtlSeconds, remaining)),
      renewable: true,
      revocable: true,
      handle: minted.handle as unknown as JsonValue,
    };
  }

  /**
   * Extends the lease while the token outlives the requested end; otherwise mints a same-scope replacement and
   * returns its value and handle (the old token stays valid until the gateway's queued revocation runs).
   */
  async renew(request: RenewRequest): Promise<RenewResult> {
    const handle = handleOf(request.handle);
    const now = this.#now();
    const wantedEnd = now + Math.max(1, Math.floor(request.incrementSeconds)) * 1000;
    if (handle.token_expires_at <= now) throw new AdapterError('not_found', 'github renew: the token has expired');
    if (handle.token_expires_at >= wantedEnd) return { leaseDuration: Math.floor((wantedEnd - now) / 1000) };
    const minted = await this.#mint(handle.installation_id, { repositories: handle.repositories, permissions: handle.permissions }, request.signal);
    const granted = Math.floor((Math.min(wantedEnd, minted.handle.token_expires_at) - now) / 1000);
    return { leaseDuration: Math.max(1, granted), value: minted.token, handle: minted.handle as unknown as JsonValue };
  }

  /** Idempotent: a token GitHub no longer accepts (401), or one already past its expiry, counts as revoked. */
  async revoke(request: RevokeRequest): Promise<void> {
    const handle = handleOf(request.handle);
    if (handle.token_expires_at <= this.#now()) return;
    const token = openToken(this.#sealKey, handle.sealed_token, aadOf(handle));
    if (token === undefined) throw new AdapterError('integrity', 'github revoke: the sealed token does not open under this App key');
    await this.#revokeToken(token, request.signal);
  }

  /** `GET /app` with a fresh JWT proves the key, the app id and the endpoint; then the installation resolves. */
  async health(signal: AbortSignal): Promise<HealthReport> {
    try {
      await this.#calls.getApp(signal);
    } catch (err) {
      throw mapGitHubError(err, 'get app', signal, this.#now());
    }
    const installation = await this.#installationRef(signal);
    return { ok: true, detail: `app authenticated; installation ${installation.id} on ${installation.account}` };
  }

  async close(): Promise<void> {}

  async #mint(installationId: number, scope: TokenScope, signal: AbortSignal): Promise<{ token: string; handle: GitHubTokenHandle }> {
    let answer: Awaited<ReturnType<GitHubCalls['createToken']>>;
    try {
      answer = await this.#calls.createToken(installationId, scope, signal);
    } catch (err) {
      throw mapGitHubError(err, 'create installation token', signal, this.#now());
    }
    const checked = checkAnswer(answer, scope, this.#now());
    if (checked.mismatch !== undefined) {
      // GitHub granted something other than what was asked: the token is never handed out, and revoked now.
      await this.#revokeToken(checked.token, AbortSignal.timeout(5000)).catch(() => undefined);
      throw new AdapterError('integrity', `github create installation token: answer's ${checked.mismatch} differs from the request; token refused and revoked`);
    }
    const handle: GitHubTokenHandle = {
      v: 1,
      installation_id: installationId,
      token_expires_at: checked.expiresAt,
      repositories: scope.repositories,
      permissions: scope.permissions,
      sealed_token: '',
    };
    handle.sealed_token = sealToken(this.#sealKey, checked.token, aadOf(handle));
    return { token: checked.token, handle };
  }

  async #revokeToken(token: string, signal: AbortSignal): Promise<void> {
    try {
      await this.#calls.revokeToken(token, signal);
    } catch (err) {
      // 401: GitHub no longer knows the token (already revoked or expired): the goal is reached.
      if ((err as { status?: unknown } | null)?.status === 401) return;
      throw mapGitHubError(err, 'revoke installation token', signal, this.#now());
    }
  }

  /** The configured installation, looked up once (a failed lookup is retried on the next call). */
  #installationRef(signal: AbortSignal): Promise<InstallationRef> {
    if (this.#installation === undefined) {
      const by = this.#options.installation;
      this.#installation = this.#calls.findInstallation(by, signal).catch((err: unknown) => {
        this.#installation = undefined;
        throw mapGitHubError(err, 'find installation', signal, this.#now());
      });
    }
    return this.#installation;
  }
}

/** Reads a stored handle; anything else is a broken lease record. */
function handleOf(value: JsonValue): GitHubTokenHandle {
  const h = value as Partial<GitHubTokenHandle> | null;
  if (
    h === null ||
    typeof h !== 'object' ||
    h.v !== 1 ||
    typeof h.installation_id !== 'number' ||
    typeof h.token_expires_at !== 'number' ||
    typeof h.sealed_token !== 'string' ||
    !Array.isArray(h.repositories) ||
    typeof h.permissions !== 'object' ||
    h.permissions === null
  ) {
    throw new AdapterError('invalid_reference', 'github lease handle is not a github-app token handle');
  }
  return h as GitHubTokenHandle;
}
