/** The adapter kinds built into crefgate, registered explicitly (a duplicate kind fails at start-up). */
import type { AdapterFactory } from './contract.ts';
import { localAdapter } from './local/index.ts';
import { AdapterRegistry } from './registry.ts';

export const builtinAdapters: AdapterFactory[] = [localAdapter as AdapterFactory];

/** A registry holding every built-in adapter kind. */
export function builtinRegistry(): AdapterRegistry {
  const registry = new AdapterRegistry();
  for (const factory of builtinAdapters) registry.register(factory);
  return registry;
}
