/**
 * Per-mount rate limits toward backends: the limiter sits outside the mount's retry policy, so one resolve
 * counts once however often it is retried. Only `read` and `issue` are limited; renewals and revocations keep
 * credentials from outliving their leases and must never be held back by a limit.
 */
import type { ResilientAdapter } from '../../adapters/resilience.ts';
import type { RateLimiter } from './limiter.ts';

/** The same adapter, with reads and issues counted against the mount's limit. */
export function limitMount(mount: string, adapter: ResilientAdapter, limiter: RateLimiter): ResilientAdapter {
  return new Proxy(adapter, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      if (key !== 'read' && key !== 'issue') return value.bind(target);
      return async (...args: unknown[]) => {
        await limiter.admitMount(mount);
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
}
