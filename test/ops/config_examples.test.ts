/**
 * Every example in config/ passes `crefgate config check`, and the check refuses each kind of mistake that
 * start-up would refuse, with its key path, exit code 1 and no stack trace (issue 17).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { checkConfigFile } from '../../src/config/check.ts';
import { tempFolder } from '../helpers/kit.ts';

const run = promisify(execFile);
const cli = (...args: string[]) =>
  run(process.execPath, ['src/cli.ts', ...args]).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('config examples and crefgate config check', () => {
  const tmp = tempFolder('crefgate-config-check-');

  const examples = async () => (await readdir('config')).filter((f) => /\.(ya?ml|json)$/.test(f)).map((f) => path.join('config', f));

  it('has one example per deployment shape', async () => {
    const names = (await examples()).map((f) => path.basename(f));
    for (const shape of ['embedded.yaml', 'redis-replicas.yaml', 'vault.yaml', 'aws.yaml', 'gcp.yaml', 'azure.yaml']) assert.ok(names.includes(shape), shape);
  });

  it('passes every file in config/, one OK line each, exit 0', async function () {
    this.timeout(30_000);
    const files = await examples();
    const result = await cli('config', 'check', ...files);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, files.length);
    for (const [i, file] of files.entries()) assert.match(lines[i]!, new RegExp(`^OK ${file}: \\w+ state, \\d+ mounts`));
  });

  /** Writes a variant of the embedded example with `change` applied, and returns its path. */
  // biome-ignore lint/suspicious/noExplicitAny: each variant pokes one key of a YAML document into a wrong shape
  type Doc = any;
  const variant = async (name: string, change: (doc: Doc) => void): Promise<string> => {
    const doc = parse(await readFile('config/embedded.yaml', 'utf8')) as Doc;
    change(doc);
    const file = path.join(tmp.path, `${name}.yaml`);
    await writeFile(file, stringify(doc));
    return file;
  };

  const refusedWith = async (file: string, pattern: RegExp) => {
    await assert.rejects(checkConfigFile(file), (err: Error) => {
      assert.match(err.message, pattern);
      return true;
    });
  };

  it('names the key path of a schema error', async () => {
    await refusedWith(await variant('unknown-key', (d) => (d.gateway.prot = 1)), /gateway: Unrecognized key.*prot/);
    await refusedWith(await variant('bad-port', (d) => (d.gateway.port = 'x')), /gateway\.port:/);
  });

  it('refuses a route to an unconfigured mount, an unknown adapter kind and options its adapter refuses', async () => {
    await refusedWith(await variant('no-mount', (d) => (d.routes[0].mount = 'nowhere')), /routes: mount "nowhere" is not configured/);
    await refusedWith(await variant('bad-kind', (d) => (d.mounts.local.adapter = 'nope')), /mounts\.local\.adapter: unknown adapter kind "nope"/);
    await refusedWith(await variant('bad-options', (d) => (d.mounts.local.options = { file: 1 })), /mounts\.local\.options\.file:/);
    await refusedWith(await variant('bad-template', (d) => (d.routes[0].cref = 'http://{tenant}/x')), /routes\.0\.cref: must start with cref:\/\//);
  });

  it('refuses a meaningless policy and a plugin whose pin does not hold', async () => {
    await refusedWith(
      await variant('bad-policy', (d) => (d.tenants.tenant_abc.grants = [{ id: 'g', effect: 'allow', executors: ['exec-01'], crefs: ['cref://tenant_xyz/x'] }])),
      /tenants\.tenant_abc\.grants\.g: cref:\/\/tenant_xyz\/x is outside tenant tenant_abc/,
    );
    await refusedWith(await variant('bad-plugin', (d) => (d.plugins = [{ module: '/nonexistent/plugin.mjs', sha256: '0'.repeat(64) }])), /plugins\.0: .*module not found/);
  });

  it('lists several problems at once', async () => {
    const file = await variant('two', (d) => {
      d.routes[0].mount = 'nowhere';
      d.mounts.local.adapter = 'nope';
    });
    await refusedWith(file, /routes: mount "nowhere"[\s\S]*mounts\.local\.adapter/);
  });

  it('exits 1 with one-line reasons and no stack trace for a bad file, an unreadable one and bad YAML', async function () {
    this.timeout(30_000);
    await writeFile(path.join(tmp.path, 'not-yaml.yaml'), 'gateway: [unclosed\n');
    const bad = await variant('cli-bad', (d) => (d.routes[0].mount = 'nowhere'));
    const result = await cli('config', 'check', bad, path.join(tmp.path, 'missing.yaml'), path.join(tmp.path, 'not-yaml.yaml'), 'config/embedded.yaml');
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^OK config\/embedded\.yaml/m, 'the good file is still checked');
    assert.match(result.stderr, /routes: mount "nowhere" is not configured/);
    assert.match(result.stderr, /cannot read config .*missing\.yaml/);
    assert.match(result.stderr, /not-yaml\.yaml is not valid YAML/);
    assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
  });
});
