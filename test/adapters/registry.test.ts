import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { AdapterFactory } from '../../adapters/contract.ts';
import { buildManifest, MANIFEST_NAME, verifyPluginFolder } from '../../adapters/plugin/manifest.ts';
import { importVerified } from '../../adapters/plugin/verified_loader.ts';
import { AdapterRegistry, loadPluginFactory } from '../../adapters/registry.ts';

const factory = (kind: string): AdapterFactory => ({
  kind,
  optionsSchema: z.strictObject({}),
  create: () => ({ kind, read: async () => ({ value: 'v' }), health: async () => ({ ok: true }), close: async () => {} }),
});

const entrySource = `
import { z } from 'zod';
import { prefix } from './lib/prefix.mjs';
export const adapter = {
  kind: 'echo-plugin',
  optionsSchema: z.strictObject({ prefix: z.string() }),
  create: (options) => ({
    kind: 'echo-plugin',
    read: async (request) => ({ value: prefix + options.prefix + request.path }),
    health: async () => ({ ok: true }),
    close: async () => {},
  }),
};
`;

const libSource = "export const prefix = 'lib:';\n";

const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

describe('AdapterRegistry', () => {
  it('registers kinds and finds them', () => {
    const registry = new AdapterRegistry();
    registry.register(factory('vault'));
    registry.register(factory('local'));
    assert.equal(registry.get('vault')?.kind, 'vault');
    assert.equal(registry.get('nope'), undefined);
    assert.deepEqual(registry.kinds(), ['local', 'vault']);
  });

  it('refuses a duplicate kind at start-up', () => {
    const registry = new AdapterRegistry();
    registry.register(factory('vault'));
    assert.throws(() => registry.register(factory('vault')), /"vault" is already registered/);
  });

  it('refuses something that is not a factory', () => {
    const registry = new AdapterRegistry();
    assert.throws(() => registry.register({ kind: 'x' } as unknown as AdapterFactory), /optionsSchema/);
    assert.throws(() => registry.register({ ...factory('Bad Kind') }), /kind/);
  });
});

describe('loadPluginFactory', () => {
  // Plugins import zod, which resolves as the gateway resolves it; the folder sits under test/ for cleanup.
  let dir: string;
  let outside: string;
  beforeEach(async () => {
    const base = await mkdtemp(join(process.cwd(), 'test', 'adapters', '.plugin-'));
    dir = join(base, 'echo');
    outside = join(base, 'outside.mjs');
    await mkdir(dir);
    await writeFile(join(dir, 'index.mjs'), entrySource);
    await mkdir(join(dir, 'lib'));
    await writeFile(join(dir, 'lib', 'prefix.mjs'), libSource);
    await writeFile(outside, 'globalThis.pluginWasImported = true;\nexport const prefix = "outside:";\n');
  });
  afterEach(async () => {
    delete (globalThis as { pluginWasImported?: boolean }).pluginWasImported;
    await rm(dirname(dir), { recursive: true, force: true });
  });

  /** Writes the manifest of the folder as it is now and returns its pin. */
  const pin = async (): Promise<string> => {
    const manifest = await buildManifest(dir);
    await writeFile(join(dir, MANIFEST_NAME), manifest);
    return sha256(manifest);
  };

  const refusal = async (pinned: string, entry = 'index.mjs'): Promise<Error> =>
    loadPluginFactory(join(dir, entry), pinned).then(
      () => assert.fail('plugin loaded'),
      (e: unknown) => e as Error,
    );

  const notImported = (): void => assert.equal((globalThis as { pluginWasImported?: boolean }).pluginWasImported, undefined);

  it('loads a plugin whose every file matches the pinned manifest', async () => {
    const loaded = await loadPluginFactory(join(dir, 'index.mjs'), await pin());
    assert.equal(loaded.kind, 'echo-plugin');
    const adapter = await loaded.create(loaded.optionsSchema.parse({ prefix: 'p:' }), { mount: 'm', stateDir: dir, configDir: dir });
    assert.equal((await adapter.read({ path: 'x', signal: AbortSignal.timeout(1000) })).value, 'lib:p:x');
  });

  it('refuses a changed manifest, naming it and both digests, without importing', async () => {
    const pinned = await pin();
    await appendFile(join(dir, MANIFEST_NAME), ' ');
    const err = await refusal(pinned);
    assert.ok(err.message.includes(MANIFEST_NAME) && err.message.includes(pinned), err.message);
    assert.ok(err.message.includes(sha256(await readFile(join(dir, MANIFEST_NAME)))), err.message);
    notImported();
  });

  // Regression (issue 15.4): only the entry file was pinned, so this loaded the swapped library.
  it('refuses a swapped imported file, naming it, without importing', async () => {
    const pinned = await pin();
    await writeFile(join(dir, 'lib', 'prefix.mjs'), `globalThis.pluginWasImported = true;\n${libSource}`);
    const err = await refusal(pinned);
    assert.match(err.message, /lib\/prefix\.mjs sha256 is [0-9a-f]{64}, but crefgate-plugin\.json pins/);
    notImported();
  });

  it('refuses a file added to the folder, naming it', async () => {
    const pinned = await pin();
    await writeFile(join(dir, 'lib', 'extra.mjs'), 'globalThis.pluginWasImported = true;\n');
    const err = await refusal(pinned);
    assert.match(err.message, /lib\/extra\.mjs is not listed in crefgate-plugin\.json/);
    notImported();
  });

  it('refuses a listed file that was removed, naming it', async () => {
    const pinned = await pin();
    await rm(join(dir, 'lib', 'prefix.mjs'));
    assert.match((await refusal(pinned)).message, /lib\/prefix\.mjs is listed in crefgate-plugin\.json but missing/);
  });

  it('refuses a symlink out of the folder, naming the link', async () => {
    await symlink(outside, join(dir, 'lib', 'escape.mjs'));
    const err = await refusal(await pin().catch(() => '0'.repeat(64)));
    assert.match(err.message, /lib\/escape\.mjs is a symlink out of the plugin folder/);
    notImported();
  });

  it('refuses an import that leaves the folder, naming the importing file and the specifier', async () => {
    await writeFile(join(dir, 'lib', 'prefix.mjs'), "export { prefix } from '../../outside.mjs';\n");
    const err = await refusal(await pin());
    assert.match(err.message, /lib\/prefix\.mjs imports "\.\.\/\.\.\/outside\.mjs", which is outside the plugin folder/);
    notImported();
  });

  it('holds a require made with createRequire to the same rules: nothing outside the folder, no CommonJS', async () => {
    // A require built from the file's path (no module URL): its parent carries no marker of the plugin.
    await writeFile(join(dir, 'lib', 'prefix.mjs'), "import { createRequire } from 'node:module';\nimport { fileURLToPath } from 'node:url';\nexport const prefix = createRequire(fileURLToPath(import.meta.url))('../../outside.cjs');\n");
    await writeFile(join(dirname(dir), 'outside.cjs'), 'globalThis.pluginWasImported = true;\nmodule.exports = "outside:";\n');
    assert.match((await refusal(await pin())).message, /lib\/prefix\.mjs imports "\.\.\/\.\.\/outside\.cjs", which is outside the plugin folder/);
    notImported();
    await writeFile(join(dir, 'lib', 'prefix.mjs'), "import { createRequire } from 'node:module';\nexport const prefix = createRequire(import.meta.url)('./helper.cjs');\n");
    await writeFile(join(dir, 'lib', 'helper.cjs'), 'module.exports = "cjs:";\n');
    assert.match((await refusal(await pin())).message, /lib\/helper\.cjs is not an ES module or JSON/);
  });

  it('imports the bytes that were verified, not a later rewrite of the disk', async () => {
    const pinned = await pin();
    const plugin = await verifyPluginFolder(dir, pinned, 'plugin test');
    await writeFile(join(dir, 'lib', 'prefix.mjs'), "globalThis.pluginWasImported = true;\nexport const prefix = 'evil:';\n");
    const loaded = (await importVerified(plugin, 'index.mjs', pinned)) as { adapter: AdapterFactory };
    const adapter = await loaded.adapter.create({ prefix: '' }, { mount: 'm', stateDir: dir, configDir: dir });
    assert.equal((await adapter.read({ path: 'x', signal: AbortSignal.timeout(1000) })).value, 'lib:x');
    notImported();
  });

  it('refuses a module without an adapter export', async () => {
    await writeFile(join(dir, 'empty.mjs'), 'export const nothing = 1;\n');
    await assert.rejects(loadPluginFactory(join(dir, 'empty.mjs'), await pin()), /export "adapter"/);
  });

  it('refuses a folder without a manifest, and a malformed pin', async () => {
    assert.match((await refusal('0'.repeat(64))).message, /no crefgate-plugin\.json/);
    await assert.rejects(loadPluginFactory(join(dir, 'index.mjs'), 'abc'), /64 hex digits/);
  });
});
