/**
 * Keeps the adapter's own Vault token alive. Before a request finds the token past two thirds of its TTL it
 * renews it with `auth/token/renew-self`; when renewal is impossible (not renewable, refused, or capped by the
 * token's max TTL) an AppRole/JWT/Kubernetes adapter logs in again. An idle gateway is covered by an unref'd
 * timer that does the same.
 */
import type { VaultClient } from './client.ts';
import { mapVaultError } from './map_error.ts';
import { toSeconds, type AuthPlan, type ObtainedToken } from './auth.ts';

/** Renew once this fraction of the TTL has passed, leaving a third of it for retries. */
const RENEW_FRACTION = 2 / 3;
/** How soon to try again after a failed refresh while the current token is still valid. */
const RETRY_MS = 10_000;

interface HeldToken {
  /** What to ask for at each renewal: the TTL the token was created (or logged in) with. */
  incrementSeconds: number;
  renewable: boolean;
  expiresAt: number | undefined;
  refreshAt: number | undefined;
}

export class TokenKeeper {
  readonly #client: VaultClient;
  readonly #plan: AuthPlan;
  readonly #now: () => number;
  #held: HeldToken | undefined;
  #pending: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Counters for tests and metrics. */
  readonly stats = { logins: 0, renewals: 0 };

  constructor(client: VaultClient, plan: AuthPlan, now: () => number) {
    this.#client = client;
    this.#plan = plan;
    this.#now = now;
  }

  /** Resolves once the client holds a token that is not due for refresh; single-flight across callers. */
  ready(): Promise<void> {
    const held = this.#held;
    if (held !== undefined && (held.refreshAt === undefined || this.#now() < held.refreshAt)) return Promise.resolve();
    this.#pending ??= this.#refresh().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** Seconds until the current token expires, undefined if it never does or none is held yet. */
  remainingSeconds(): number | undefined {
    const expiresAt = this.#held?.expiresAt;
    return expiresAt === undefined ? undefined : Math.max(0, Math.floor((expiresAt - this.#now()) / 1000));
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  async #refresh(): Promise<void> {
    const held = this.#held;
    if (held?.renewable === true) {
      try {
        const granted = await this.#renewSelf(held.incrementSeconds);
        // A renewal capped by the max TTL means the end is near: a method that can log in starts afresh.
        if (!this.#plan.canLogin || granted >= held.incrementSeconds) {
          this.#hold({ incrementSeconds: held.incrementSeconds, renewable: true }, granted);
          return;
        }
      } catch (err) {
        if (!this.#plan.canLogin) return this.#keepOrThrow(held, err);
      }
    }
    if (held === undefined || this.#plan.canLogin) {
      try {
        const obtained = await this.#obtain();
        this.#hold({ incrementSeconds: obtained.incrementSeconds ?? obtained.ttlSeconds, renewable: obtained.renewable }, obtained.ttlSeconds);
      } catch (err) {
        this.#keepOrThrow(held, err);
      }
      return;
    }
    // A static token that cannot be renewed simply lives until it expires; requests then fail as denied.
    held.refreshAt = held.expiresAt;
  }

  async #obtain(): Promise<ObtainedToken> {
    this.stats.logins += 1;
    return this.#plan.obtain(this.#client);
  }

  async #renewSelf(incrementSeconds: number): Promise<number> {
    this.stats.renewals += 1;
    const answer = (await this.#client.tokenRenewSelf({ increment: incrementSeconds })) as { auth?: { lease_duration?: unknown } };
    return toSeconds(answer.auth?.lease_duration);
  }

  #hold(token: { incrementSeconds: number; renewable: boolean }, grantedSeconds: number): void {
    const now = this.#now();
    const expires = grantedSeconds > 0;
    this.#held = {
      ...token,
      expiresAt: expires ? now + grantedSeconds * 1000 : undefined,
      refreshAt: expires ? now + Math.floor(grantedSeconds * 1000 * RENEW_FRACTION) : undefined,
    };
    this.#schedule();
  }

  /** After a failed refresh: keep serving with a still-valid token and try again soon, else fail. */
  #keepOrThrow(held: HeldToken | undefined, err: unknown): void {
    const now = this.#now();
    if (held !== undefined && (held.expiresAt === undefined || now < held.expiresAt)) {
      held.refreshAt = Math.min(now + RETRY_MS, held.expiresAt ?? Infinity);
      this.#schedule();
      return;
    }
    throw mapVaultError(err, `${this.#plan.method} auth`);
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    const refreshAt = this.#held?.refreshAt;
    if (this.#closed || refreshAt === undefined) return;
    this.#timer = setTimeout(() => {
      // A failure here is not lost: the token stays due, so the next request retries and reports it.
      this.ready().catch(() => {});
    }, Math.max(0, refreshAt - this.#now()));
    this.#timer.unref();
  }
}
