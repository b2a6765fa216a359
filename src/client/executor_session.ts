/**
 * The executor SDK: one job's secrets, from resolve to completion. It resolves the envelope exactly once (a
 * resolve is never retried: the envelope is single-use, and a blind replay is what the gateway refuses), keeps
 * each renewable lease alive until the job ends and never asks past it, and completes the job on exit, which
 * revokes every lease. Renewals and completion are retried on transient failures only: both are idempotent.
 *
 * A workload without a certificate (a client made with `identityToken`, talking to the bootstrap listener)
 * renews the same way, presenting a fresh OIDC token each time. It cannot complete the job (that route is on
 * the mTLS listener; its coordinator completes it), so its `complete()` revokes each lease it holds instead.
 */
import type { Envelope } from '../envelope/schema.ts';
import type { CrefgateClient, ResolvedSecret } from './client.ts';
import { CrefgateError } from './http.ts';
import type { ProxyTarget } from './proxy.ts';

export interface ExecutorSessionOptions {
  /** This executor's HMAC secrets by kid: the envelope is verified locally before it is presented. */
  hmacSecrets?: Map<string, Buffer>;
  /** Renew when this fraction of a lease's remaining life has passed (default 2/3). */
  renewAt?: number;
  /** Retries of a renewal or completion after a transient failure (default 4). */
  retries?: number;
  /** A renewal that finally failed; the lease then runs to its current end. Default: ignored. */
  onRenewError?: (alias: string, err: unknown) => void;
  now?: () => number;
}

/** Network failures and the gateway's own "try again" answers; a refusal (4xx) is final. */
export function isTransient(err: unknown): boolean {
  if (err instanceof CrefgateError) return err.status === 503 || err.status === 429 || err.code === 'bad_response';
  return err instanceof Error;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Runs `call`, retrying transient failures with capped exponential backoff and jitter. */
export async function withRetries<T>(call: () => Promise<T>, retries: number): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= retries || !isTransient(err)) throw err;
      await sleep(Math.random() * Math.min(5000, 200 * 2 ** attempt));
    }
  }
}

/** Completing or revoking what has already ended is the goal reached, not a failure. */
function endedAlready(err: unknown): boolean {
  return err instanceof CrefgateError && (err.code === 'expired' || err.code === 'not_found');
}

export class ExecutorSession {
  readonly jobId: string;
  /** Job end, epoch seconds: no lease lives past it. */
  readonly expiresAt: number;
  readonly secrets: Readonly<Record<string, ResolvedSecret>>;
  private readonly client: CrefgateClient;
  private readonly options: Required<Omit<ExecutorSessionOptions, 'hmacSecrets'>>;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private completion: Promise<void> | undefined;

  private constructor(client: CrefgateClient, envelope: Envelope, secrets: Record<string, ResolvedSecret>, options: ExecutorSessionOptions) {
    this.client = client;
    this.jobId = envelope.payload.job_id;
    this.expiresAt = envelope.payload.expires_at;
    this.secrets = secrets;
    this.options = { renewAt: options.renewAt ?? 2 / 3, retries: options.retries ?? 4, onRenewError: options.onRenewError ?? (() => undefined), now: options.now ?? Date.now };
    for (const [alias, secret] of Object.entries(secrets)) this.schedule(alias, secret);
  }

  /** Resolves `envelope` (once, never retried) and starts renewing its leases. */
  static async start(client: CrefgateClient, envelope: Envelope, options: ExecutorSessionOptions = {}): Promise<ExecutorSession> {
    const result = await client.resolve(envelope, options.hmacSecrets === undefined ? {} : { hmacSecrets: options.hmacSecrets });
    return new ExecutorSession(client, envelope, { ...result.secrets }, options);
  }

  /** The value of one secret (the string, or its fields). */
  value(alias: string): string | Record<string, string> {
    const secret = this.secrets[alias];
    if (secret === undefined) throw new Error(`no secret named ${alias} in job ${this.jobId}`);
    if (secret.value === undefined) throw new Error(`secret ${alias} is delivered through the proxy: use proxy('${alias}')`);
    return secret.value;
  }

  /** For a secret delivered through the proxy: its base URL, mTLS agent and `fetch` (docs/executor-sdk.md). */
  proxy(alias: string): ProxyTarget {
    const secret = this.secrets[alias];
    if (secret === undefined) throw new Error(`no secret named ${alias} in job ${this.jobId}`);
    return this.client.proxy(secret);
  }

  private schedule(alias: string, secret: ResolvedSecret): void {
    const nowSeconds = this.options.now() / 1000;
    const end = Math.min(secret.expires_at, this.expiresAt);
    if (!secret.renewable || this.completion !== undefined || end >= this.expiresAt) return;
    const delayMs = Math.max(0, (end - nowSeconds) * this.options.renewAt * 1000);
    const timer = setTimeout(() => void this.renew(alias, secret), delayMs);
    timer.unref(); // a pending renewal never keeps the process alive
    this.timers.set(alias, timer);
  }

  private async renew(alias: string, secret: ResolvedSecret): Promise<void> {
    // Ask for the rest of the job at most; the gateway caps it there anyway.
    const increment = Math.max(1, Math.ceil(this.expiresAt - this.options.now() / 1000));
    try {
      const info = await withRetries(() => this.client.renewLease(secret.lease_id, increment), this.options.retries);
      if (this.completion !== undefined) return;
      // A replacement credential comes with its own lease: from now on the value and lease id are the new ones.
      const replaced = info.value === undefined ? {} : { value: info.value, lease_id: info.lease_id };
      const renewed: ResolvedSecret = { ...secret, ...replaced, lease_duration: info.lease_duration, renewable: info.renewable, expires_at: info.expires_at };
      (this.secrets as Record<string, ResolvedSecret>)[alias] = renewed;
      this.schedule(alias, renewed);
    } catch (err) {
      this.options.onRenewError(alias, err);
    }
  }

  /** Stops renewing and completes the job (revoking every lease); safe to call more than once. */
  complete(): Promise<void> {
    this.completion ??= (async () => {
      for (const timer of this.timers.values()) clearTimeout(timer);
      this.timers.clear();
      if (this.client.auth === 'oidc') {
        await this.revokeAll();
        return;
      }
      try {
        await withRetries(() => this.client.completeJob(this.jobId), this.options.retries);
      } catch (err) {
        if (!endedAlready(err)) throw err;
      }
    })();
    return this.completion;
  }

  /** Revokes every lease this session holds (each tried; the first failure is thrown after all were tried). */
  private async revokeAll(): Promise<void> {
    const failures: unknown[] = [];
    for (const secret of Object.values(this.secrets)) {
      try {
        await withRetries(() => this.client.revokeLease(secret.lease_id), this.options.retries);
      } catch (err) {
        if (!endedAlready(err)) failures.push(err);
      }
    }
    if (failures.length > 0) throw failures[0];
  }

  /** Completes the job when the process is asked to stop (SIGTERM, SIGINT), then lets it exit. */
  completeOnExit(signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): () => void {
    const handler = (signal: NodeJS.Signals) => {
      void this.complete().finally(() => {
        remove();
        process.kill(process.pid, signal);
      });
    };
    const remove = () => {
      for (const s of signals) process.off(s, handler);
    };
    for (const s of signals) process.once(s, handler);
    return remove;
  }
}

/** Runs `work` with the job's secrets and completes the job afterwards, whatever `work` did. */
export async function withExecutorSession<T>(client: CrefgateClient, envelope: Envelope, work: (session: ExecutorSession) => Promise<T>, options: ExecutorSessionOptions = {}): Promise<T> {
  const session = await ExecutorSession.start(client, envelope, options);
  const removeHandlers = session.completeOnExit();
  try {
    return await work(session);
  } finally {
    removeHandlers();
    await session.complete();
  }
}
