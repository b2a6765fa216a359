/**
 * Wraps any SecretAdapter with what a mount's config asks for: a per-attempt timeout, bounded retries with
 * full jitter for retryable failures, and a circuit breaker. Adapters stay simple and only classify errors.
 *
 * `issue` is never retried: if the first attempt reached the backend but its answer was lost, a retry would
 * mint a second credential that no lease records and nobody revokes. read, renew, revoke and health are
 * idempotent and may be retried.
 */
import { AdapterError, type SecretAdapter } from './contract.ts';
import { raceAbort, withDeadline } from '../src/deadline/abortable.ts';
import { CircuitBreaker, type BreakerState } from './circuit_breaker.ts';

export type { BreakerState } from './circuit_breaker.ts';

export interface ResiliencePolicy {
  timeoutMs: number;
  /** `attempts` counts retries after the first try. */
  retry: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  breaker: { failureThreshold: number; cooldownMs: number };
}

export interface ResilienceOptions {
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** An adapter behind timeout, retry and breaker; `breakerState` is for health and metrics. */
export interface ResilientAdapter extends SecretAdapter {
  breakerState(): BreakerState;
}

/** Waits `ms`, rejecting early with the signal's reason when it aborts. */
function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Wraps an adapter; the returned object has exactly the capabilities of the one it wraps. */
export function withResilience(adapter: SecretAdapter, policy: ResiliencePolicy, options: ResilienceOptions = {}): ResilientAdapter {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;
  const breaker = new CircuitBreaker(policy.breaker, now);

  /** One attempt under the per-attempt timeout; anything thrown comes back as an AdapterError. */
  async function attempt<T>(op: string, caller: AbortSignal, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    let timedOut: AdapterError | undefined;
    const onTimeout = () => (timedOut = new AdapterError('timeout', `${adapter.kind} ${op} exceeded ${policy.timeoutMs} ms`));
    try {
      // The race makes the timeout hold even for an adapter whose SDK cannot be cancelled.
      return await withDeadline(policy.timeoutMs, onTimeout, (signal) => raceAbort(run(signal), signal), caller);
    } catch (err) {
      if (timedOut !== undefined && !caller.aborted) throw timedOut;
      if (err instanceof AdapterError) throw err;
      if (caller.aborted) throw new AdapterError('timeout', `${adapter.kind} ${op} cancelled by the caller`, { cause: err });
      throw new AdapterError('unavailable', `${adapter.kind} ${op} failed unexpectedly`, { cause: err });
    }
  }

  /** Runs `op` through breaker, timeout and (when `retryable`) bounded retries. */
  async function call<T>(op: string, caller: AbortSignal, retryable: boolean, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const maxRetries = retryable ? policy.retry.attempts : 0;
    for (let retry = 0; ; retry += 1) {
      const settle = breaker.admit();
      if (settle === undefined) throw new AdapterError('unavailable', `${adapter.kind} ${op}: circuit open`);
      let failure: AdapterError;
      try {
        const result = await attempt(op, caller, run);
        settle('success');
        return result;
      } catch (err) {
        failure = err as AdapterError;
        // A cancelled caller says nothing about the backend; a not_found proves the backend is alive.
        settle(caller.aborted ? 'ignored' : failure.retryable ? 'failure' : 'success');
      }
      if (!failure.retryable || caller.aborted || retry >= maxRetries) throw failure;
      await sleep(backoff(retry, failure.retryAfter), caller);
    }
  }

  /** Full jitter (random in [0, min(max, base·2^n)]), or the backend's Retry-After, bounded by maxDelayMs. */
  function backoff(retry: number, retryAfterSeconds: number | undefined): number {
    const { baseDelayMs, maxDelayMs } = policy.retry;
    if (retryAfterSeconds !== undefined && retryAfterSeconds > 0) return Math.min(retryAfterSeconds * 1000, maxDelayMs);
    return Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** retry));
  }

  const wrapped: ResilientAdapter = {
    kind: adapter.kind,
    read: (request) => call('read', request.signal, true, (signal) => adapter.read({ ...request, signal })),
    health: (signal) => call('health', signal, true, (inner) => adapter.health(inner)),
    close: () => adapter.close(),
    breakerState: () => breaker.state(),
  };
  const { issue, renew, revoke } = adapter;
  if (issue !== undefined) {
    wrapped.issue = (request) => call('issue', request.signal, false, (signal) => issue.call(adapter, { ...request, signal }));
  }
  if (renew !== undefined) {
    wrapped.renew = (request) => call('renew', request.signal, true, (signal) => renew.call(adapter, { ...request, signal }));
  }
  if (revoke !== undefined) {
    wrapped.revoke = (request) => call('revoke', request.signal, true, (signal) => revoke.call(adapter, { ...request, signal }));
  }
  // Listing what a mount issued (orphan sweeps) is a read: retried, behind the same breaker.
  const { listIssued } = adapter;
  if (listIssued !== undefined) wrapped.listIssued = (signal) => call('list', signal, true, (inner) => listIssued.call(adapter, inner));
  return wrapped;
}
