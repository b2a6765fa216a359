/**
 * A per-mount circuit breaker. Consecutive retryable failures (throttled, unavailable, timeout) open it; while
 * open every call fails fast so a dead backend costs nothing and gets room to recover; after the cooldown one
 * trial call is let through (half-open) and its outcome closes or re-opens the circuit.
 */

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerPolicy {
  failureThreshold: number;
  cooldownMs: number;
}

/** The outcome of one admitted call, as the breaker counts it. */
export type BreakerOutcome = 'success' | 'failure' | 'ignored';

export class CircuitBreaker {
  readonly #policy: BreakerPolicy;
  readonly #now: () => number;
  #failures = 0;
  #openedAt: number | undefined;
  #trialInFlight = false;

  constructor(policy: BreakerPolicy, now: () => number) {
    this.#policy = policy;
    this.#now = now;
  }

  /** The state as a caller would see it now: an open circuit whose cooldown has passed reads as half-open. */
  state(): BreakerState {
    if (this.#openedAt === undefined) return 'closed';
    return this.#now() - this.#openedAt >= this.#policy.cooldownMs ? 'half_open' : 'open';
  }

  /**
   * Asks to make a call. Returns a settle function to report its outcome, or undefined when the call must
   * fail fast (open, or half-open with its single trial already in flight).
   */
  admit(): ((outcome: BreakerOutcome) => void) | undefined {
    const state = this.state();
    if (state === 'closed') return (outcome) => this.#settle(outcome, false);
    if (state === 'open' || this.#trialInFlight) return undefined;
    this.#trialInFlight = true;
    return (outcome) => this.#settle(outcome, true);
  }

  #settle(outcome: BreakerOutcome, trial: boolean): void {
    if (trial) this.#trialInFlight = false;
    if (outcome === 'ignored') return;
    if (outcome === 'success') {
      this.#failures = 0;
      this.#openedAt = undefined;
      return;
    }
    // A call admitted while closed may finish after the circuit opened; it must not push the reopening out.
    if (this.#openedAt !== undefined && !trial) return;
    this.#failures += 1;
    if (trial || this.#failures >= this.#policy.failureThreshold) this.#openedAt = this.#now();
  }
}
