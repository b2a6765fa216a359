/**
 * Rate limits on resolve, issuance and backend mounts. Counts live in the state store's fixed-window counters,
 * so replicas sharing Redis share every limit. A request over any limit is refused `rate_limited` (429 with
 * Retry-After) before it touches anything else: a limited resolve never reaches the chain, so it burns no nonce.
 */
import { GatewayError } from '../errors.ts';
import type { CounterStore } from '../state/contract.ts';
import type { RateLimit, RateLimitScope, RateLimitsConfig } from './config.ts';

export type LimitedAction = 'resolve' | 'issue' | 'proxy';

/** Who a request is counted against; a missing part is not limited. */
export interface LimitSubject {
  executor?: string | undefined;
  tenant?: string | undefined;
  source?: string | undefined;
}

const DIMENSIONS = [
  ['per_executor', 'executor'],
  ['per_tenant', 'tenant'],
  ['per_source', 'source'],
] as const;

export class RateLimiter {
  private readonly config: RateLimitsConfig;
  private readonly counters: CounterStore;
  private readonly now: () => number;

  constructor(config: RateLimitsConfig, counters: CounterStore, now: () => number) {
    this.config = config;
    this.counters = counters;
    this.now = now;
  }

  /** True when at least one limit is configured (otherwise the gateway does not install the limiter). */
  static configured(config: RateLimitsConfig): boolean {
    const any = (scope: RateLimitScope) => DIMENSIONS.some(([name]) => scope[name] !== undefined);
    return any(config.resolve) || any(config.issue) || any(config.proxy) || Object.keys(config.mounts).length > 0;
  }

  /** Counts one request of `action` against each configured limit; throws `rate_limited` if any is exceeded. */
  async admit(action: LimitedAction, subject: LimitSubject): Promise<void> {
    const scope = this.config[action];
    const checks = DIMENSIONS.flatMap(([name, part]) => {
      const rule = scope[name];
      const value = subject[part];
      return rule === undefined || value === undefined ? [] : [{ label: `${action} ${name}`, key: `rl:${action}:${part}:${value}`, rule }];
    });
    await this.enforce(checks);
  }

  /** Counts one backend call toward `mount`; throws `rate_limited` if the mount's limit is exceeded. */
  async admitMount(mount: string): Promise<void> {
    const rule = this.config.mounts[mount];
    if (rule !== undefined) await this.enforce([{ label: `mount ${mount}`, key: `rl:mount:${mount}`, rule }]);
  }

  private async enforce(checks: Array<{ label: string; key: string; rule: RateLimit }>): Promise<void> {
    if (checks.length === 0) return;
    const at = this.now();
    const counted = await Promise.all(checks.map(async (c) => ({ ...c, window: await this.counters.increment(c.key, c.rule.window_seconds * 1000, at) })));
    const over = counted.filter((c) => c.window.count > c.rule.limit);
    if (over.length === 0) return;
    // The longest wait wins: retrying before every exceeded window has ended would only be refused again.
    const retryAfter = Math.max(...over.map((c) => Math.max(1, Math.ceil((c.window.resetAt - at) / 1000))));
    const first = over[0]!;
    throw new GatewayError('rate_limited', {
      step: 'rate_limit',
      reason: `${first.label} limit of ${first.rule.limit} per ${first.rule.window_seconds} s exceeded`,
      retryAfter,
    });
  }
}
