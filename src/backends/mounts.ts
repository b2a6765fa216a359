/**
 * Mounts: one adapter instance per configured mount, built at start-up through the registry (options validated
 * by the adapter's own schema, errors naming the config key path) and wrapped in the mount's timeout, retry and
 * circuit-breaker policy.
 */
import type { AdapterFactory, HealthReport } from '../../adapters/contract.ts';
import type { AdapterRegistry } from '../../adapters/registry.ts';
import { withResilience, type ResilientAdapter } from '../../adapters/resilience.ts';
import type { MountConfig } from '../config/schema.ts';

export interface MountHealth extends HealthReport {
  mount: string;
  breaker: string;
}

export class Mounts {
  private readonly adapters: Map<string, ResilientAdapter>;

  private constructor(adapters: Map<string, ResilientAdapter>) {
    this.adapters = adapters;
  }

  /** Builds every mount; throws a message naming `mounts.<name>…` on bad options or an unknown adapter kind. */
  static async build(
    mounts: Record<string, MountConfig>,
    registry: AdapterRegistry,
    context: { stateDir: string; configDir: string },
    observe: (mount: string, adapter: ResilientAdapter) => ResilientAdapter = (_mount, adapter) => adapter,
  ): Promise<Mounts> {
    const built = new Map<string, ResilientAdapter>();
    try {
      for (const [name, mount] of Object.entries(mounts)) {
        const factory: AdapterFactory | undefined = registry.get(mount.adapter);
        if (factory === undefined) {
          throw new Error(`mounts.${name}.adapter: unknown adapter kind "${mount.adapter}" (known: ${registry.kinds().join(', ')})`);
        }
        const parsed = factory.optionsSchema.safeParse(mount.options);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const where = ['mounts', name, 'options', ...(issue?.path ?? []).map(String)].join('.');
          throw new Error(`${where}: ${issue?.message ?? 'invalid'}`);
        }
        const adapter = await factory.create(parsed.data, { mount: name, ...context });
        built.set(
          name,
          observe(name, withResilience(adapter, {
            timeoutMs: mount.timeout_ms,
            retry: { attempts: mount.retry.attempts, baseDelayMs: mount.retry.base_delay_ms, maxDelayMs: mount.retry.max_delay_ms },
            breaker: { failureThreshold: mount.breaker.failure_threshold, cooldownMs: mount.breaker.cooldown_ms },
          })),
        );
      }
    } catch (err) {
      await Promise.allSettled([...built.values()].map((a) => a.close()));
      throw err;
    }
    return new Mounts(built);
  }

  /** The adapter of a mount; routes were checked against mounts at start-up, so this is always defined. */
  get(name: string): ResilientAdapter {
    const adapter = this.adapters.get(name);
    if (adapter === undefined) throw new Error(`no mount ${name}`);
    return adapter;
  }

  has(name: string): boolean {
    return this.adapters.has(name);
  }

  /** Health of every mount, each bounded by `timeoutMs`. */
  async health(timeoutMs = 2000): Promise<MountHealth[]> {
    return await Promise.all(
      [...this.adapters].map(async ([mount, adapter]) => {
        const report = await adapter.health(AbortSignal.timeout(timeoutMs)).catch(() => ({ ok: false, detail: 'health check failed' }));
        return { mount, breaker: adapter.breakerState(), ...report };
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.adapters.values()].map((a) => a.close()));
  }
}
