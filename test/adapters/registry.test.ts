import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { AdapterFactory } from '../../adapters/contract.ts';
import { AdapterRegistry, loadPluginFactory } from '../../adapters/registry.ts';

const factory = (kind: string): AdapterFactory => ({
  kind,
  optionsSchema: z.strictObject({}),
  create: () => ({ kind, read: async () => ({ value: 'v' }), health: async () => ({ ok: true }), close: async () => {} }),
});

const pluginSource = `
import { z } from 'zod';
export const adapter = {
  kind: 'echo-plugin',
  optionsSchema: z.strictObject({ prefix: z.string() }),
  create: (options) => ({
    kind: 'echo-plugin',
    read: async (request) => ({ value: options.prefix + request.path }),
    health: async () => ({ ok: true }),
    close: async () => {},
  }),
};
`;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

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
  // Plugins import zod, so they must live where node resolves the repo's node_modules.
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(process.cwd(), 'test', 'adapters', '.plugin-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a plugin whose file matches the pinned digest', async () => {
    const file = join(dir, 'echo.mjs');
    await writeFile(file, pluginSource);
    const loaded = await loadPluginFactory(file, sha256(pluginSource));
    assert.equal(loaded.kind, 'echo-plugin');
    const adapter = await loaded.create(loaded.optionsSchema.parse({ prefix: 'p:' }), { mount: 'm', stateDir: dir, configDir: dir });
    assert.equal((await adapter.read({ path: 'x', signal: AbortSignal.timeout(1000) })).value, 'p:x');
  });

  it('refuses a tampered plugin, naming the module and both digests, without importing it', async () => {
    const file = join(dir, 'tampered.mjs');
    const pinned = sha256(pluginSource);
    await writeFile(file, pluginSource);
    await appendFile(file, '\nglobalThis.pluginWasImported = true;\n');
    const err = await loadPluginFactory(file, pinned).then(
      () => assert.fail('tampered plugin loaded'),
      (e: unknown) => e as Error,
    );
    assert.ok(err.message.includes(file), err.message);
    assert.ok(err.message.includes(pinned), err.message);
    assert.ok(err.message.includes(sha256(`${pluginSource}\nglobalThis.pluginWasImported = true;\n`)), err.message);
    assert.equal((globalThis as { pluginWasImported?: boolean }).pluginWasImported, undefined);
  });

  it('refuses a module without an adapter export', async () => {
    const file = join(dir, 'empty.mjs');
    const source = 'export const nothing = 1;\n';
    await writeFile(file, source);
    await assert.rejects(loadPluginFactory(file, sha256(source)), /export "adapter"/);
  });

  it('refuses a malformed pin', async () => {
    await assert.rejects(loadPluginFactory(join(dir, 'x.mjs'), 'abc'), /64 hex digits/);
  });
});
