/**
 * The adapter registry, in the spirit of Vault's plugin catalog: built-in kinds are registered explicitly at
 * start-up, and an out-of-tree plugin is loaded only if its file hashes to the SHA-256 pinned in config.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AdapterFactory } from './contract.ts';

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
 * Loads a plugin adapter: hashes the module file, refuses it unless the digest equals the pinned one, then
 * imports it and checks that its `adapter` export is an AdapterFactory.
 *
 * The bytes hashed are the bytes imported only if nobody rewrites the file in between; plugin files belong in
 * a directory only the gateway's operator can write, as with Vault's plugin directory.
 */
export async function loadPluginFactory(modulePath: string, sha256: string): Promise<AdapterFactory> {
  const absolute = resolve(modulePath);
  const expected = sha256.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(expected)) {
    throw new Error(`plugin ${absolute}: pinned sha256 must be 64 hex digits`);
  }
  const bytes = await readFile(absolute);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected) {
    throw new Error(`plugin ${absolute} refused: sha256 is ${actual}, but config pins ${expected}`);
  }
  // The query string makes the import key unique to this digest, so a module cached under an older digest
  // is never reused for a file that now hashes differently.
  const url = `${pathToFileURL(absolute).href}?sha256=${actual}`;
  const loaded = (await import(url)) as { adapter?: unknown };
  assertFactoryShape(loaded.adapter, `plugin ${absolute}: export "adapter"`);
  return loaded.adapter;
}
