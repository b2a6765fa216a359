/** Builds the configured state store: memory (embedded default) or Redis (shared by replicas). */
import type { StateConfig } from './config.ts';
import type { StateStore } from './contract.ts';
import { createMemoryStateStore } from './memory/index.ts';

export async function createStateStore(config: StateConfig, options: { now?: () => number; configDir: string }): Promise<StateStore> {
  if (config.kind === 'memory') return createMemoryStateStore({ now: options.now });
  // Loaded only when configured, so the embedded default never loads the Redis client.
  const { createRedisStateStore } = await import('./redis/index.ts');
  return await createRedisStateStore(config.redis, { now: options.now, configDir: options.configDir });
}
