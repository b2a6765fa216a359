/**
 * Keeps src/audit in its four rooms (docs/audit.md, "Code layout"): verification never reaches the writer or the
 * sinks, the log primitives reach no other room, sinks reach neither the writer nor verification. Imports are
 * followed transitively through the whole source tree, so a detour through another folder counts too.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importSpecifiers, listTs } from '../helpers/imports.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const auditDir = path.join(repo, 'src/audit');

type Room = 'root' | 'index' | 'trail' | 'sinks' | 'log' | 'verify' | 'report';

/** What each room may not reach, directly or through any chain of imports. */
const FORBIDDEN: Record<Exclude<Room, 'index'>, readonly Room[]> = {
  log: ['trail', 'sinks', 'verify', 'report', 'index'],
  verify: ['trail', 'sinks', 'report', 'index'],
  sinks: ['trail', 'verify', 'report', 'index'],
  trail: ['verify', 'report', 'index'],
  report: ['trail', 'sinks', 'index'],
  // contract.ts and config.ts are leaves every room may use: they reach no room but the primitives.
  root: ['trail', 'sinks', 'verify', 'report', 'index'],
};
const ROOT_FILES = new Set(['contract.ts', 'config.ts']);

/** The room of a file under src/audit, or undefined for a file outside it. */
function roomOf(file: string): Room | undefined {
  const rel = path.relative(auditDir, file);
  if (rel.startsWith('..')) return undefined;
  const [first, ...rest] = rel.split(path.sep);
  if (rest.length === 0) {
    if (first === 'index.ts') return 'index';
    if (ROOT_FILES.has(first!)) return 'root';
    throw new Error(`src/audit/${first} is in no room: put it in trail/, sinks/, log/ or verify/`);
  }
  if (first === 'trail' || first === 'sinks' || first === 'log' || first === 'verify' || first === 'report') return first;
  throw new Error(`src/audit/${rel} is in no room: put it in trail/, sinks/, log/ or verify/`);
}

/** Every forbidden path `from -> … -> to` reachable from the files of src/audit, given an import reader. */
function violations(files: readonly string[], importsOf: (file: string) => string[]): string[] {
  const found: string[] = [];
  for (const start of files) {
    const room = roomOf(start);
    if (room === undefined || room === 'index') continue;
    const forbidden = FORBIDDEN[room];
    const via = new Map<string, string>([[start, '']]);
    const queue = [start];
    while (queue.length > 0) {
      const file = queue.shift()!;
      for (const next of importsOf(file)) {
        if (via.has(next)) continue;
        via.set(next, file);
        const target = roomOf(next);
        if (target !== undefined && target !== room && forbidden.includes(target)) {
          const chain = [next];
          for (let f = file; f !== ''; f = via.get(f)!) chain.unshift(f);
          found.push(`${room} -> ${target}: ${chain.map((f) => path.relative(repo, f)).join(' -> ')}`);
          continue;
        }
        queue.push(next);
      }
    }
  }
  return found;
}

function importsOnDisk(file: string): string[] {
  if (!file.startsWith(path.join(repo, 'src')) && !file.startsWith(path.join(repo, 'adapters'))) return [];
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return importSpecifiers(source).map((s) => path.resolve(path.dirname(file), s));
}

describe('src/audit rooms', () => {
  it('finds static, type-only, re-export, dynamic and worker imports, and ignores commented ones', () => {
    const specs = importSpecifiers(
      [
        "import { a } from './a.ts';",
        "import type { B } from '../b.ts';",
        "export { c } from './c.ts';",
        "const d = await import('./d.ts');",
        "new Worker(new URL('./e.ts', import.meta.url));",
        "import 'node:fs';",
        "// import { x } from './commented.ts';",
        "/* import { y } from './blocked.ts'; */",
      ].join('\n'),
    );
    assert.deepEqual(specs.sort(), ['../b.ts', './a.ts', './c.ts', './d.ts', './e.ts']);
  });

  it('reports a forbidden import, also through a detour outside src/audit', () => {
    const f = (rel: string) => path.join(repo, rel);
    const graph = new Map<string, string[]>([
      [f('src/audit/verify/v.ts'), [f('src/witness/w.ts')]],
      [f('src/witness/w.ts'), [f('src/audit/trail/t.ts')]],
      [f('src/audit/log/l.ts'), [f('src/audit/log/m.ts')]],
      [f('src/audit/trail/t.ts'), [f('src/audit/sinks/s.ts'), f('src/audit/log/l.ts')]],
    ]);
    const found = violations([...graph.keys()], (file) => graph.get(file) ?? []);
    assert.deepEqual(found, ['verify -> trail: src/audit/verify/v.ts -> src/witness/w.ts -> src/audit/trail/t.ts']);
  });

  it('every file sits in a room, and no room reaches one it must not', () => {
    const files = listTs(auditDir);
    assert.ok(files.length > 30, `expected the audit sources, found ${files.length}`);
    for (const room of ['trail', 'sinks', 'log', 'verify'] as const) {
      assert.ok(files.some((f) => roomOf(f) === room), `no file in src/audit/${room}`);
    }
    assert.deepEqual(violations(files, importsOnDisk), []);
  });
});
