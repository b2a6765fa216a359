/**
 * The manifest of a built-in adapter kind: what its folder's `index.ts` exports, and the only place its kind
 * string is written. The implementation (and the vendor SDK behind it) is imported by `load` when the first
 * mount of the kind is created, so a gateway pays memory only for the backends it uses.
 */
import type { ZodType } from 'zod';
import type { AdapterContext, AdapterFactory, SecretAdapter } from '../contract.ts';

/** What an adapter folder's `adapter.ts` exports: builds one mount's adapter from its validated options. */
export interface AdapterModule<Options> {
  create(options: Options, context: AdapterContext): SecretAdapter | Promise<SecretAdapter>;
}

/** A built-in kind: its name, its options schema, and a lazy loader of its `adapter.ts`. */
export interface AdapterManifest<Options = unknown> {
  readonly kind: string;
  readonly optionsSchema: ZodType<Options>;
  load(): Promise<AdapterModule<Options>>;
}

/** Declares a manifest; typed so that `load` must yield a `create` for exactly these options. */
export function defineAdapter<Options>(manifest: AdapterManifest<Options>): AdapterManifest<Options> {
  return Object.freeze({ ...manifest });
}

/** The registry's view of a manifest: a factory whose first `create` imports the implementation. */
export function factoryOf<Options>(manifest: AdapterManifest<Options>): AdapterFactory<Options> {
  return {
    kind: manifest.kind,
    optionsSchema: manifest.optionsSchema,
    create: async (options, context) => (await manifest.load()).create(options, context),
  };
}
