/**
 * Counts failed state store operations (Redis down, timeouts, script errors) without touching the store: each
 * area's methods are wrapped so a rejection increments `crefgate_state_store_errors_total{area, op}` and is
 * rethrown unchanged. A refusal the store answers normally (a replayed nonce, an unknown lease) is not an error.
 */
import type { StateStore } from '../state/contract.ts';
import type { GatewayMetrics } from './metrics.ts';

const AREAS = ['jobs', 'nonces', 'leases', 'revocations', 'executors'] as const;

function observeArea<T extends object>(area: string, target: T, metrics: GatewayMetrics): T {
  // One wrapper per method, made at its first use and kept while the method stays the same: the resolve path
  // calls the store a few times per request, and a closure per access plus one per call was pure garbage.
  const wrappers = new Map<string, { value: (...args: unknown[]) => unknown; wrapped: (...args: unknown[]) => unknown }>();
  const wrap = (key: string, value: (...args: unknown[]) => unknown): ((...args: unknown[]) => unknown) => {
    const count = (err: unknown): never => {
      metrics.stateErrors.inc({ area, op: key });
      throw err;
    };
    return (...args: unknown[]) => {
      try {
        const result: unknown = value.apply(target, args);
        return result instanceof Promise ? result.catch(count) : result;
      } catch (err) {
        return count(err);
      }
    };
  };
  return new Proxy(target, {
    get(inner, key, receiver) {
      const value: unknown = Reflect.get(inner, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      const known = wrappers.get(key);
      if (known !== undefined && known.value === value) return known.wrapped;
      const wrapped = wrap(key, value as (...args: unknown[]) => unknown);
      wrappers.set(key, { value: value as (...args: unknown[]) => unknown, wrapped });
      return wrapped;
    },
  });
}

/** The same store, with its failures counted. */
export function instrumentState(store: StateStore, metrics: GatewayMetrics): StateStore {
  const areas = new Map<string | symbol, unknown>(AREAS.map((area) => [area, observeArea(area, store[area], metrics)]));
  return new Proxy(store, {
    get(target, key, receiver) {
      if (areas.has(key)) return areas.get(key);
      if (key === 'health') {
        return async () => {
          const health = await target.health().catch((err: unknown) => {
            metrics.stateErrors.inc({ area: 'store', op: 'health' });
            throw err;
          });
          if (!health.ok) metrics.stateErrors.inc({ area: 'store', op: 'health' });
          return health;
        };
      }
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
