/**
 * The adapter registry, in the spirit of Vault's plugin catalog: built-in kinds are registered explicitly at
 * start-up, and an out-of-tree plugin is loaded only if every file of its folder matches the manifest whose
 * SHA-256 is pinned in config.
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { AdapterFactory } from './contract.ts';
import { verifyPluginFolder } from './plugin/manifest.ts';
import { importVerified } from './plugin/verified_loader.ts';

/** Holds the adapter kinds this gateway knows. A duplicate kind is a start-up error, never a silent override. */
export class AdapterRegistry {
  readonly #factories = new Map<string, AdapterFactory>();

  /** Adds a factory; throws if its kind is already registered. */
  register(factory: AdapterFactory): void {
    assertFactoryShape(factory, `adapter factory "${String((factory as { kind?: unknown })?.kind)}"`);
    if (this.#factories.has(factory.kind)) {
      throw new Error(`adapter kind "${factory.kind}" is already registered`);
    }
    this.#factories.set(factory.kind, factory);
  }

  /** The factory of a kind, or undefined when no such kind is registered. */
  get(kind: string): AdapterFactory | undefined {
    return this.#factories.get(kind);
  }

  /** Registered kinds, sorted, for error messages and `crefgate config check`. */
  kinds(): string[] {
    return [...this.#factories.keys()].sort();
  }
}

const KIND_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Throws unless `value` looks like an AdapterFactory: a kind, a zod schema and a create function. */
function assertFactoryShape(value: unknown, label: string): asserts value is AdapterFactory {
  if (typeof value !== 'object' || value === null) throw new Error(`${label} is not an object`);
  const candidate = value as Record<string, unknown>;
  if (typeof candidate.kind !== 'string' || !KIND_PATTERN.test(candidate.kind)) {
    throw new Error(`${label} has no valid "kind" (lowercase letters, digits, - and _)`);
  }
  const schema = candidate.optionsSchema as { safeParse?: unknown } | undefined;
  if (typeof schema !== 'object' || schema === null || typeof schema.safeParse !== 'function') {
    throw new Error(`${label} has no zod "optionsSchema"`);
  }
  if (typeof candidate.create !== 'function') throw new Error(`${label} has no "create" function`);
}

/**
 * Loads a plugin adapter. The pin is the SHA-256 of the plugin's manifest (`crefgate-plugin.json` beside the
 * module), which lists the SHA-256 of every file in the module's folder: the folder is verified (no unlisted
 * file, no changed file, no symlink out of it), then the module graph is imported from the verified bytes with
 * imports outside the folder refused, and its `adapter` export is checked to be an AdapterFactory.
 */
export async function loadPluginFactory(modulePath: string, sha256: string): Promise<AdapterFactory> {
  const absolute = resolve(modulePath);
  const expected = sha256.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(expected)) {
    throw new Error(`plugin ${absolute}: pinned sha256 must be 64 hex digits`);
  }
  const real = await realpath(absolute).catch(() => {
    throw new Error(`plugin ${absolute}: module not found`);
  });
  const plugin = await verifyPluginFolder(dirname(real), expected, `plugin ${absolute}`);
  const loaded = (await importVerified(plugin, basename(real), expected)) as { adapter?: unknown };
  assertFactoryShape(loaded.adapter, `plugin ${absolute}: export "adapter"`);
  return loaded.adapter;
}
