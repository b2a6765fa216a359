/**
 * The manifests' promise: listing and registering every built-in kind loads no vendor SDK. A fresh Node process
 * records every module specifier resolved while adapters/builtin.ts is imported and a registry is built.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const SDKS = ['@aws-sdk/', '@google-cloud/', '@azure/', 'node-vault', '@octokit/', 'pg', 'mysql2'];

const probe = `
import { registerHooks } from 'node:module';
const seen = [];
registerHooks({ resolve(specifier, context, next) { seen.push(specifier); return next(specifier, context); } });
const { builtinRegistry } = await import('./adapters/builtin.ts');
const kinds = builtinRegistry().kinds();
process.stdout.write(JSON.stringify({ kinds, seen }));
`;

describe('built-in adapters: lazy loading', () => {
  it('registers every built-in kind without importing any vendor SDK', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: root, timeout: 20_000 });
    const { kinds, seen } = JSON.parse(stdout) as { kinds: string[]; seen: string[] };
    assert.ok(kinds.length >= 9, `only ${kinds.length} kinds registered`);
    assert.ok(seen.some((s) => s.endsWith('/builtin.ts')), 'the resolve hook saw the import');
    const sdk = seen.filter((s) => SDKS.some((name) => s === name || s.startsWith(name.endsWith('/') ? name : `${name}/`)));
    assert.deepEqual(sdk, [], `SDKs loaded at registration: ${sdk.join(', ')}`);
  });
});
