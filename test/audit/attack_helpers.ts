/** Helpers of the attack tests: an attacker's rewrite of a log (the audit CLI itself runs through test/helpers/audit_cli.ts). */
import { readFileSync, writeFileSync } from 'node:fs';
import { canonicalJson } from '../../src/envelope/canonical.ts';
import { GENESIS_PREV, lineHash } from '../../src/audit/log/line.ts';

/** Rewrites event lines with `edit` and recomputes every prev, as an attacker with the file would. */
export function rewriteAndRechain(file: string, edit: (event: Record<string, unknown>, i: number) => Record<string, unknown>): void {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  let prev = GENESIS_PREV;
  const out = lines.map((line, i) => {
    const text = canonicalJson({ ...edit(JSON.parse(line) as Record<string, unknown>, i), prev });
    prev = lineHash(text);
    return `${text}\n`;
  });
  writeFileSync(file, out.join(''));
}

