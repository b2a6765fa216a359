/**
 * Imports a verified plugin from the bytes that were hashed, not from a second read of the disk. Module hooks
 * (node:module registerHooks, in-thread) mark every module of a plugin with its id; for marked modules the
 * resolve hook refuses any import that leaves the plugin's folder, and the load hook serves the verified copy.
 *
 * What a plugin may import: its own listed files (served from memory), Node built-ins, and bare package names,
 * which resolve as the gateway itself would resolve them (the gateway's installed dependencies, pinned by its
 * own lockfile, not a node_modules that happens to sit above the plugin's folder).
 */
import { createHash } from 'node:crypto';
import { isBuiltin, registerHooks } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isInside, type VerifiedPlugin } from './manifest.ts';

const MARKER = 'crefgate-plugin';
const plugins = new Map<string, VerifiedPlugin>();
let hooksRegistered = false;

/** The plugin a module URL belongs to, with the file's POSIX path relative to the plugin root. */
function pluginOf(url: string | undefined): { id: string; plugin: VerifiedPlugin; path: string } | undefined {
  if (url === undefined || !url.startsWith('file:')) return undefined;
  const parsed = new URL(url);
  const marker = parsed.searchParams.get(MARKER);
  parsed.search = '';
  const file = fileURLToPath(parsed);
  // Marked URLs are the plugin's ES modules. An unmarked file inside a verified folder is a CommonJS parent (a
  // require made with createRequire): it belongs to that plugin too, so its requires are held to the same rules.
  const entry = marker === null ? [...plugins].find(([, p]) => isInside(p.root, file)) : [marker, plugins.get(marker)] as const;
  if (entry === undefined || entry[1] === undefined) return undefined;
  const [id, plugin] = entry;
  return { id, plugin, path: file.slice(plugin.root.length + 1).split('\\').join('/') };
}

const isBare = (specifier: string): boolean =>
  !specifier.startsWith('.') && !specifier.startsWith('/') && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(specifier);

/** A file URL inside the plugin, marked so that the load hook serves it from the verified copy. */
function marked(url: string, id: string, plugin: VerifiedPlugin): string | undefined {
  if (!url.startsWith('file:')) return undefined;
  const parsed = new URL(url);
  parsed.search = '';
  if (!isInside(plugin.root, fileURLToPath(parsed))) return undefined;
  parsed.searchParams.set(MARKER, id);
  return parsed.href;
}

const FORMATS: Record<string, string> = { '.mjs': 'module', '.js': 'module', '.json': 'json', '.mts': 'module-typescript', '.ts': 'module-typescript' };

function ensureHooks(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  const gatewayUrl = import.meta.url;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const parent = pluginOf(context.parentURL);
      if (parent === undefined) return nextResolve(specifier, context);
      if (isBuiltin(specifier)) return nextResolve(specifier, context);
      const where = `plugin ${parent.plugin.root}: ${parent.path} imports "${specifier}"`;
      let own: string | undefined;
      try {
        own = marked(nextResolve(specifier, context).url, parent.id, parent.plugin);
      } catch (err) {
        if (!isBare(specifier)) throw new Error(`${where}, which does not resolve`, { cause: err });
      }
      if (own !== undefined) return { url: own, shortCircuit: true };
      if (!isBare(specifier)) throw new Error(`${where}, which is outside the plugin folder: refused`);
      // A package the plugin does not carry: the gateway's own copy, resolved from the gateway's location.
      return nextResolve(specifier, { ...context, parentURL: gatewayUrl });
    },
    load(url, context, nextLoad) {
      const owner = pluginOf(url);
      if (owner === undefined) return nextLoad(url, context);
      const bytes = owner.plugin.files.get(owner.path);
      if (bytes === undefined) throw new Error(`plugin ${owner.plugin.root}: ${owner.path} is not in the verified manifest`);
      const format = FORMATS[extname(owner.path)];
      if (format === undefined) throw new Error(`plugin ${owner.plugin.root}: ${owner.path} is not an ES module or JSON`);
      return { format, source: bytes, shortCircuit: true } as ReturnType<typeof nextLoad>;
    },
  });
}

/** Imports `entry` (a POSIX path relative to the plugin root) of a verified plugin. */
export async function importVerified(plugin: VerifiedPlugin, entry: string, pin: string): Promise<unknown> {
  if (!plugin.files.has(entry)) throw new Error(`plugin ${plugin.root}: entry ${entry} is not listed in the manifest`);
  ensureHooks();
  // One id per (folder, pin): the same pinned bytes may share a module instance; other bytes never do.
  const id = createHash('sha256').update(`${plugin.root}\0${pin}`).digest('hex').slice(0, 32);
  const known = plugins.get(id);
  if (known === undefined) plugins.set(id, plugin);
  const url = new URL(pathToFileURL(`${plugin.root}/${entry}`).href);
  url.searchParams.set(MARKER, id);
  return import(url.href);
}
