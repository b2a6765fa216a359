/**
 * Counts failed state store operations (Redis down, timeouts, script errors) without touching the store: each
 * area's methods are wrapped so a rejection increments `crefgate_state_store_errors_total{area, op}` and is
 * rethrown unchanged. A refusal the store answers normally (a replayed nonce, an unknown lease) is not an error.
 */
import type { StateStore } from '../state/contract.ts';
import type { GatewayMetrics } from './metrics.ts';

const AREAS = ['jobs', 'nonces', 'leases', 'revocations', 'executors'] as const;

function observeArea<T extends object>(area: string, target: T, metrics: GatewayMetrics): T {
  return new Proxy(target, {
    get(inner, key, receiver) {
      const value: unknown = Reflect.get(inner, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      return (...args: unknown[]) => {
        try {
          const result: unknown = value.apply(inner, args);
          if (result instanceof Promise) {
            return result.catch((err: unknown) => {
              metrics.stateErrors.inc({ area, op: key });
              throw err;
            });
          }
          return result;
        } catch (err) {
          metrics.stateErrors.inc({ area, op: key });
          throw err;
        }
      };
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
