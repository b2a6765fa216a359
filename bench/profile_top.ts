/**
 * `node bench/profile_top.ts <file.cpuprofile> [n]`: where the time goes in a --cpu-prof profile, as self time by
 * function and by file (node_modules grouped by package), largest first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { numberFlag, parseFlags, refuse } from '../src/cli/flags.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const PROFILE_TOP = {
  name: 'node bench/profile_top.ts',
  usage: 'node bench/profile_top.ts <file.cpuprofile> [n=30] [focus] [frames=4]   (focus: who calls functions named like it)',
};
const { positionals } = parseFlags({ ...PROFILE_TOP, options: {}, positionals: { min: 1, max: 4 } });
const [file, n = '30'] = positionals;
numberFlag(PROFILE_TOP, 'n', n, 1);
if (!existsSync(file!)) refuse(PROFILE_TOP, `no such file: ${file}`);
// Piped into `head`, the reader goes away early: that is the end of the output, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const profile = JSON.parse(readFileSync(file!, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);

const where = (url: string): string => {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) return `pkg ${pkg[1]}`;
  return url.replace(/^file:\/\/.*?\/(src|adapters|bench)\//, '$1/') || '(native/vm)';
};
const fns = new Map<string, number>();
const files = new Map<string, number>();
for (const [id, us] of self) {
  const { callFrame } = byId.get(id)!;
  const key = `${callFrame.functionName || '(anonymous)'} ${where(callFrame.url)}:${callFrame.lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
  files.set(where(callFrame.url), (files.get(where(callFrame.url)) ?? 0) + us);
}
const print = (title: string, m: Map<string, number>) => {
  process.stdout.write(`\n${title} (total ${(total / 1e6).toFixed(2)} s sampled)\n`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) {
    process.stdout.write(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}\n`);
  }
};
print('self time by function', fns);
print('self time by file or package', files);

// With a third argument, who calls the functions whose name contains it (four frames up), by self time.
const focus = positionals[2];
if (focus !== undefined) {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stacks = new Map<string, number>();
  for (const [id, us] of self) {
    if (!byId.get(id)!.callFrame.functionName.includes(focus)) continue;
    const frames: string[] = [];
    for (let p = parent.get(id); p !== undefined && frames.length < numberFlag(PROFILE_TOP, 'frames', positionals[3] ?? '4', 1); p = parent.get(p)) {
      const { callFrame } = byId.get(p)!;
      frames.push(`${callFrame.functionName || '(anonymous)'} ${where(callFrame.url)}:${callFrame.lineNumber + 1}`);
    }
    const key = frames.join(' < ');
    stacks.set(key, (stacks.get(key) ?? 0) + us);
  }
  print(`callers of ${focus}`, stacks);
}
