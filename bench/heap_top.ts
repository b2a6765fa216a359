/**
 * `node bench/heap_top.ts <file.heapprofile> [n] [depth]`: bytes still allocated by function (self) from a sampling
 * heap profile written by `npm run bench -- --heap-profile`, with the call chain `depth` frames up.
 */
import { existsSync, readFileSync } from 'node:fs';
import { numberFlag, parseFlags, refuse } from '../src/cli/flags.ts';

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

const HEAP_TOP = { name: 'node bench/heap_top.ts', usage: 'node bench/heap_top.ts <file.heapprofile> [n=30] [depth=4]' };
const { positionals } = parseFlags({ ...HEAP_TOP, options: {}, positionals: { min: 1, max: 3 } });
const [file, n = '30', depth = '4'] = positionals;
numberFlag(HEAP_TOP, 'n', n, 1);
if (!existsSync(file!)) refuse(HEAP_TOP, `no such file: ${file}`);
numberFlag(HEAP_TOP, 'depth', depth, 0);
const root = (JSON.parse(readFileSync(file!, 'utf8')) as { head: HeapNode }).head;
const frame = (node: HeapNode) =>
  `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^file:\/\/.*?\/(src|adapters|bench|node_modules)\//, '$1/') || '(native)'}:${node.callFrame.lineNumber + 1}`;

const rows = new Map<string, number>();
let total = 0;
const walk = (node: HeapNode, stack: string[]) => {
  const here = [frame(node), ...stack];
  if (node.selfSize > 0) {
    const key = here.slice(0, Number(depth)).join(' < ');
    rows.set(key, (rows.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
  }
  for (const child of node.children) walk(child, here);
};
walk(root, []);
process.stdout.write(`sampled ${(total / 1024 / 1024).toFixed(1)} MB\n`);
for (const [key, bytes] of [...rows].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) {
  process.stdout.write(`${((100 * bytes) / total).toFixed(1).padStart(5)} %  ${(bytes / 1024).toFixed(0).padStart(7)} KB  ${key}\n`);
}
