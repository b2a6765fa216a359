/** The audit CLI run in-process, for the tests of its commands (audit, attacks, report). */
import { Command } from 'commander';
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
