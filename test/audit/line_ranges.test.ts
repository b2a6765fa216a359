import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { readAllLines, readLineRange } from '../../src/audit/log/log_files.ts';
import { tempFolder } from '../helpers/kit.ts';

describe('audit log byte ranges', () => {
  const folder = tempFolder('crefgate-ranges-');
  it('cut anywhere, the ranges hold every line exactly once, in order, torn tails included (property)', async () => {
    const dir = folder.path;
    const line = fc.string({ unit: fc.constantFrom('a', 'é', '{', '"', ' ', '€'), maxLength: 12 });
    const file = fc.record({ lines: fc.array(line, { maxLength: 6 }), torn: fc.option(line.filter((l) => l !== ''), { nil: undefined }) });
    await fc.assert(
      fc.asyncProperty(fc.array(file, { minLength: 1, maxLength: 3 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }), async (spec, cuts) => {
        const files = spec.map((f, i) => {
          const p = path.join(dir, `log-${i}`);
          writeFileSync(p, f.lines.map((l) => `${l}\n`).join('') + (f.torn ?? ''));
          return p;
        });
        const sizes = spec.map((f) => Buffer.byteLength(f.lines.map((l) => `${l}\n`).join('') + (f.torn ?? '')));
        const total = sizes.reduce((a, b) => a + b, 0);
        const points = [0, ...cuts.map((c) => Math.floor(c * total)).sort((a, b) => a - b), total];
        const seen = new Array<number>(files.length).fill(0);
        const joined: Array<{ file: string; lineNo: number; text: string; complete: boolean }> = [];
        for (let i = 0; i + 1 < points.length; i++) {
          const before = [...seen];
          for (const l of await readLineRange(files, sizes, points[i]!, points[i + 1]!)) {
            joined.push({ file: files[l.fileIndex]!, lineNo: before[l.fileIndex]! + l.lineNo, text: l.text, complete: l.complete });
            seen[l.fileIndex] = before[l.fileIndex]! + l.lineNo;
          }
        }
        assert.deepEqual(joined, await readAllLines(files));
      }),
      { numRuns: 300 },
    );
  });
});
