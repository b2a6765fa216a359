/**
 * Imports point one way (issue 17 item 1). Every relative import in src/ and adapters/ (static, type-only,
 * re-export, literal dynamic and worker `new URL`) is read into a FOLDER graph: a folder is the first path segment
 * under src/ (a top-level file such as src/errors.ts is its own node, named without `.ts`), and adapters/ is one
 * node (the deliberate finer nodes are explained above SCHEMA_LEAVES). The test asserts that the graph has no cycle and
 * that every edge points down the declared layer order, so a leaf never reaches upward and no loop can come back.
 * Set IMPORT_GRAPH=1 to print the graph.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importSpecifiers, listTs } from '../helpers/imports.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Nodes finer than a folder, one deliberate exception with its reason: `src/<folder>/config.ts` of the folders in
 * SCHEMA_LEAVES is that feature's zod schema, a leaf (it imports only zod) that the config loader gathers
 * (src/config/schema.ts): node `<folder>/config`, so the loader can sit below the features whose settings it reads.
 * (The proxy is one node: its service in src/proxy/ sits below `services`, its HTTP side in src/proxy_http/ with
 * the other routes, and the resolve hand-off in src/resolve/proxy_delivery.ts.)
 */
const SCHEMA_LEAVES = new Set(['state', 'ops', 'bootstrap', 'proxy', 'ratelimit', 'signals']);

/** The graph node of a repository file, or undefined outside src/ and adapters/. */
function folderOf(file: string): string | undefined {
  const rel = path.relative(repo, file).split(path.sep);
  if (rel[0] === 'adapters') return 'adapters';
  if (rel[0] !== 'src' || rel.length < 2) return undefined;
  if (rel.length === 2) return rel[1]!.replace(/\.ts$/, '');
  if (rel.length === 3 && rel[2] === 'config.ts' && SCHEMA_LEAVES.has(rel[1]!)) return `${rel[1]}/config`;
  return rel[1]!;
}

/**
 * The layers, lowest first. An import may point to its own layer or below, never up; together with "no cycle"
 * this is the whole rule (docs/architecture.md, "Imports point one way"). A new folder must be placed here.
 */
const LAYERS: ReadonlyArray<{ name: string; nodes: readonly string[] }> = [
  {
    name: 'leaves',
    nodes: ['errors', 'json', 'deadline', 'crypto', 'envelope', 'log', 'runtime_flags', 'tracing', 'state/config', 'ops/config', 'bootstrap/config', 'proxy/config', 'ratelimit/config', 'signals/config'],
  },
  { name: 'adapters', nodes: ['adapters'] },
  { name: 'records', nodes: ['audit', 'witness', 'state', 'tokens', 'identity', 'pki'] },
  { name: 'rules', nodes: ['policy', 'routing', 'signals', 'ratelimit', 'http'] },
  { name: 'config', nodes: ['config'] },
  { name: 'parts', nodes: ['backends', 'executors', 'proxy'] },
  { name: 'services', nodes: ['services'] },
  { name: 'operations', nodes: ['chain', 'leases', 'jobs', 'resolve', 'readiness'] },
  { name: 'edge', nodes: ['routes', 'proxy_http', 'bootstrap', 'client'] },
  { name: 'description and ops', nodes: ['openapi', 'ops'] },
  { name: 'composition', nodes: ['compose', 'gateway', 'dev', 'forensics'] },
  { name: 'entry points', nodes: ['cli', 'index'] },
];

/** Files outside src/ and adapters/ that src/ may import (the package version for the OpenAPI document). */
const OUTSIDE_ALLOWED = new Set(['package.json']);

type Edge = { from: string; to: string; file: string; target: string };

/** Folder-to-folder edges of the source tree on disk, one per importing file and imported file. */
function edgesOnDisk(): Edge[] {
  const files = [...listTs(path.join(repo, 'src')), ...listTs(path.join(repo, 'adapters'))];
  const edges: Edge[] = [];
  for (const file of files) {
    const from = folderOf(file)!;
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      const target = path.resolve(path.dirname(file), spec);
      const to = folderOf(target);
      if (to === undefined) {
        edges.push({ from, to: `OUTSIDE:${path.relative(repo, target)}`, file: path.relative(repo, file), target });
      } else if (to !== from) {
        edges.push({ from, to, file: path.relative(repo, file), target: path.relative(repo, target) });
      }
    }
  }
  return edges;
}

/** Strongly connected components with more than one node (Tarjan): each is a folder cycle. */
function cycles(nodes: Iterable<string>, next: (n: string) => Iterable<string>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of next(v)) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const n of nodes) if (!idx.has(n)) visit(n);
  return found;
}

function adjacency(edges: readonly Edge[]): Map<string, Set<string>> {
  const adj = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!adj.has(e.from)) adj.set(e.from, new Set());
    if (!adj.has(e.to)) adj.set(e.to, new Set());
    adj.get(e.from)!.add(e.to);
  }
  return adj;
}

function rankOf(node: string): number | undefined {
  const i = LAYERS.findIndex((l) => l.nodes.includes(node));
  return i < 0 ? undefined : i;
}

/** Every broken rule of a set of edges: an undeclared node, an import upward, a file outside the tree, a cycle. */
function problems(edges: readonly Edge[]): string[] {
  const found: string[] = [];
  for (const e of edges) {
    if (e.to.startsWith('OUTSIDE:')) {
      if (!OUTSIDE_ALLOWED.has(e.to.slice('OUTSIDE:'.length))) found.push(`outside the tree: ${e.file} -> ${e.target}`);
      continue;
    }
    const from = rankOf(e.from);
    const to = rankOf(e.to);
    if (from === undefined) found.push(`node ${e.from} (${e.file}) is in no layer`);
    else if (to === undefined) found.push(`node ${e.to} (${e.target}) is in no layer`);
    else if (to > from) found.push(`upward: ${e.from} (${LAYERS[from]!.name}) -> ${e.to} (${LAYERS[to]!.name}): ${e.file} -> ${e.target}`);
  }
  const adj = adjacency(edges.filter((e) => !e.to.startsWith('OUTSIDE:')));
  for (const c of cycles(adj.keys(), (n) => adj.get(n) ?? [])) {
    const inCycle = new Set(c);
    const via = edges.filter((e) => inCycle.has(e.from) && inCycle.has(e.to)).map((e) => `${e.file} -> ${e.target}`);
    found.push(`cycle ${c.join(' ')} via ${[...new Set(via)].join(', ')}`);
  }
  return [...new Set(found)];
}

describe('imports point one way', () => {
  it('reads static, type-only, re-export, dynamic and worker imports, and ignores commented ones', () => {
    const specs = importSpecifiers(
      [
        "import { a } from './a.ts';",
        "import type { B } from '../b.ts';",
        "export { c } from './c.ts';",
        "export * from './f.ts';",
        "const d = await import('./d.ts');",
        "new Worker(new URL('./e.ts', import.meta.url));",
        "import 'node:fs';",
        "// import { x } from './commented.ts';",
        "/* import { y } from './blocked.ts'; */",
      ].join('\n'),
    );
    assert.deepEqual(specs.sort(), ['../b.ts', './a.ts', './c.ts', './d.ts', './e.ts', './f.ts']);
  });

  it('places files in nodes: folders, top-level files, feature schemas, the proxy as one node, adapters', () => {
    const f = (rel: string) => folderOf(path.join(repo, rel));
    assert.equal(f('src/chain/run_chain.ts'), 'chain');
    assert.equal(f('src/errors.ts'), 'errors');
    assert.equal(f('src/ops/config.ts'), 'ops/config');
    assert.equal(f('src/audit/trail/config.ts'), 'audit');
    assert.equal(f('src/audit/config.ts'), 'audit');
    assert.equal(f('src/proxy/service.ts'), 'proxy');
    assert.equal(f('src/proxy/lease_gate.ts'), 'proxy');
    assert.equal(f('src/proxy/config.ts'), 'proxy/config');
    assert.equal(f('src/proxy_http/route.ts'), 'proxy_http');
    assert.equal(f('adapters/vault/adapter.ts'), 'adapters');
    assert.equal(f('test/helpers/gateway.ts'), undefined);
  });

  it('reports a cycle, an upward import, a file outside the tree and an unplaced folder', () => {
    const e = (from: string, to: string): Edge => ({ from, to, file: `src/${from}/a.ts`, target: `src/${to}/b.ts` });
    assert.deepEqual(problems([e('chain', 'services'), e('routing', 'json')]), []);
    const found = problems([e('routes', 'openapi'), e('openapi', 'routes'), e('chain', 'ops'), e('newfolder', 'errors'), { from: 'ops', to: 'OUTSIDE:test/helpers/x.ts', file: 'src/ops/a.ts', target: 'test/helpers/x.ts' }]);
    assert.ok(found.some((p) => p.startsWith('upward: routes (edge) -> openapi')), found.join('\n'));
    assert.ok(found.some((p) => p.startsWith('upward: chain (operations) -> ops')), found.join('\n'));
    assert.ok(found.some((p) => p.startsWith('cycle openapi routes via')), found.join('\n'));
    assert.ok(found.some((p) => p.startsWith('node newfolder')), found.join('\n'));
    assert.ok(found.some((p) => p.startsWith('outside the tree: src/ops/a.ts -> test/helpers/x.ts')), found.join('\n'));
    // Peers in one layer may import each other one way; a loop between them is still a cycle.
    assert.deepEqual(problems([e('leases', 'chain')]), []);
    assert.ok(problems([e('leases', 'jobs'), e('jobs', 'leases')]).some((p) => p.startsWith('cycle jobs leases')));
  });

  it('src/ and adapters/ have no folder cycle and no import pointing up a layer', () => {
    const edges = edgesOnDisk();
    assert.ok(edges.length > 300, `expected the source tree, found ${edges.length} cross-folder imports`);
    if (process.env['IMPORT_GRAPH'] === '1') {
      const adj = adjacency(edges);
      for (const [n, out] of [...adj].sort()) console.log(`${n} -> ${[...out].sort().join(', ')}`);
    }
    assert.deepEqual(problems(edges), []);
  });
});
