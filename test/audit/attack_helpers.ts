/** Helpers of the attack tests: the audit CLI run in-process, and an attacker's rewrite of a log. */
import { readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { canonicalJson } from '../../src/envelope/canonical.ts';
import { GENESIS_PREV, lineHash } from '../../src/audit/log/line.ts';
import { registerAuditCommands } from '../../src/cli/audit_commands.ts';

/** Runs `crefgate audit …` in-process and captures what it prints and its exit code. */
export async function runAuditCli(args: string[]): Promise<{ out: string; code: number }> {
  const program = new Command().exitOverride();
  registerAuditCommands(program);
  const out: string[] = [];
  const original = console.log;
  console.log = (...parts: unknown[]) => out.push(parts.join(' '));
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'crefgate', ...args]);
  } finally {
    console.log = original;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out: out.join('\n'), code };
}

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

