/**
 * The meta-test of the adapter folders: every built-in kind listed in adapters/builtin.ts runs the shared
 * conformance suite, each built-in folder follows the template of docs/adapters/authoring.md, and each kind
 * string is written once, in its manifest.
 *
 * Coverage is read from what actually registered, not from file names: this file imports every test file that
 * calls `describeAdapter(` (ES modules are loaded once, so in a full run these are the very modules mocha loads
 * and nothing runs twice; run alone, this file runs those suites too), then compares the kinds recorded by
 * `describeAdapter` with the manifests. A kind without a run, or a run whose adapter is of another kind (the
 * suite's first case checks that), fails.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtinManifests } from '../../adapters/builtin.ts';
import type { AdapterManifest } from '../../adapters/kit/manifest.ts';
import { coveredKinds } from '../conformance/describe_adapter.ts';

const testRoot = fileURLToPath(new URL('..', import.meta.url));
const adaptersRoot = fileURLToPath(new URL('../../adapters/', import.meta.url));
const self = fileURLToPath(import.meta.url);

/** Every `.ts` file below `dir`. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

const conformanceFiles = tsFiles(testRoot).filter((file) => file.endsWith('.test.ts') && file !== self && readFileSync(file, 'utf8').includes('describeAdapter('));
for (const file of conformanceFiles) await import(pathToFileURL(file).href);

/** Built-in folders: those whose index.ts exports a manifest, by kind. */
const folders = new Map<string, string>();
for (const entry of readdirSync(adaptersRoot, { withFileTypes: true })) {
  const index = join(adaptersRoot, entry.name, 'index.ts');
  if (!entry.isDirectory() || !existsSync(index)) continue;
  const module = (await import(pathToFileURL(index).href)) as { manifest?: AdapterManifest };
  if (module.manifest !== undefined) folders.set(module.manifest.kind, join(adaptersRoot, entry.name));
}

const builtinKinds = builtinManifests.map((manifest) => manifest.kind);

describe('adapter conformance coverage (meta-test)', () => {
  it('found the test files that register conformance runs', () => {
    // The kinds check below is the real guard; this one says at once when the search itself broke.
    assert.ok(conformanceFiles.length > 0 && coveredKinds.length > 0, 'no test file registers a conformance run');
  });

  it('every built-in kind runs the conformance suite', () => {
    const missing = builtinKinds.filter((kind) => !coveredKinds.includes(kind));
    assert.deepEqual(missing, [], `built-in kinds without a conformance run: ${missing.join(', ')}`);
  });

  it('every conformance run names a built-in kind (a misspelt title cannot stand in for one)', () => {
    const unknown = coveredKinds.filter((kind) => !builtinKinds.includes(kind));
    assert.deepEqual(unknown, []);
  });

  it('every built-in kind has its own folder, named for the kind, whose index.ts exports its manifest, and builtin.ts lists each of them', () => {
    assert.deepEqual([...folders.keys()].sort(), [...builtinKinds].sort());
    for (const [kind, folder] of folders) assert.equal(basename(folder), kind, `the folder of ${kind}`);
  });

  it('every built-in folder follows the template: index.ts, options.ts, adapter.ts, and adapter.ts maps errors through a map_error.ts', () => {
    for (const [kind, folder] of folders) {
      for (const file of ['index.ts', 'options.ts', 'adapter.ts']) assert.ok(existsSync(join(folder, file)), `${kind}: no ${file}`);
      const adapter = readFileSync(join(folder, 'adapter.ts'), 'utf8');
      // Its own map_error.ts, or the vendor folder's that two kinds of one vendor share (adapters/aws/).
      assert.match(adapter, /from '(\.|\.\.\/[a-z0-9-]+)\/map_error\.ts'/, `${kind}: adapter.ts imports no map_error.ts`);
      assert.match(adapter, /export (async )?function create\(/, `${kind}: adapter.ts exports no create()`);
    }
  });

  it('each kind string is written once, in its manifest; the rest of adapters/ reads it from there', () => {
    const sources = tsFiles(adaptersRoot).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
    for (const [kind, folder] of folders) {
      const literal = new RegExp(`['"]${kind.replace(/[-]/g, '\\-')}['"]`);
      const writers = sources.filter((source) => literal.test(source.text)).map((source) => relative(adaptersRoot, source.file));
      assert.deepEqual(writers, [relative(adaptersRoot, join(folder, 'index.ts'))], `"${kind}" is written in ${writers.join(', ')}`);
    }
  });
});
