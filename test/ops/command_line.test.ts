/**
 * Every command-line entry answers --help and refuses an unknown option with a one-line error and its usage,
 * never a stack trace (issue 17): each `crefgate` subcommand (walked from the command tree, in-process), the
 * real binaries spawned, `npm run bench` and each runnable bench script. Regression: `npm run bench -- --help`
 * died with a TypeError stack.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Command, CommanderError } from 'commander';
import { program } from '../../src/cli.ts';

const run = promisify(execFile);
const spawnResult = (file: string, args: string[]) =>
  run(file, args, { timeout: 20_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
const STACK = /^\s+at .+[:(]/m;

/** Every command that runs something (has no subcommands), with its path from the root. */
function leaves(command: Command, path: string[] = []): Array<{ path: string[]; command: Command }> {
  if (command.commands.length === 0) return [{ path, command }];
  return command.commands.flatMap((sub) => leaves(sub, [...path, sub.name()]));
}

/** Every command of the tree, groups (`job`, `audit`…) and the root included. */
function everyCommand(command: Command, path: string[] = []): Array<{ path: string[]; command: Command }> {
  return [{ path, command }, ...command.commands.flatMap((sub) => everyCommand(sub, [...path, sub.name()]))];
}

/** Parses argv in-process with output captured and exits turned into CommanderErrors. */
async function parse(args: string[]): Promise<{ error: CommanderError; out: string; err: string }> {
  let out = '';
  let err = '';
  const configure = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (err += s) });
    for (const sub of c.commands) configure(sub);
  };
  configure(program);
  try {
    await program.parseAsync(['node', 'crefgate', ...args]);
  } catch (thrown) {
    assert.ok(thrown instanceof CommanderError, `${args.join(' ')}: ${String(thrown)}`);
    return { error: thrown, out, err };
  }
  return assert.fail(`${args.join(' ')} ran instead of being refused or showing help`);
}

describe('command-line entries', () => {
  const commands = leaves(program);

  it('has the subcommands a user is told about', () => {
    const names = commands.map((c) => c.path.join(' '));
    for (const expected of ['serve', 'dev', 'job issue', 'resolve', 'config check', 'plugin pin', 'audit verify']) assert.ok(names.includes(expected), expected);
  });

  it('every crefgate subcommand answers --help with its usage', async () => {
    for (const { path, command } of commands) {
      const { error, out } = await parse([...path, '--help']);
      assert.equal(error.code, 'commander.helpDisplayed', path.join(' '));
      assert.match(out, new RegExp(`^Usage: crefgate ${path.join(' ')}`, 'm'), path.join(' '));
      assert.ok(command.description() !== '', `${path.join(' ')} has a description`);
    }
  });

  /** Values for a command's required arguments and options, so that only the unknown option is wrong. */
  const required = (command: Command): string[] => [
    ...command.registeredArguments.filter((a) => a.required).map(() => 'x'),
    ...command.options.filter((o) => o.mandatory).flatMap((o) => [o.long!, 'x']),
  ];

  it('every crefgate command, groups and root included, refuses an unknown option with one error line and its usage', async () => {
    for (const { path, command } of everyCommand(program).filter((c) => c.command.name() !== 'help')) {
      const { error, err } = await parse([...path, ...required(command), '--no-such-option']);
      assert.equal(error.code, 'commander.unknownOption', `${path.join(' ')}: ${error.message}`);
      const [first, ...rest] = err.trim().split('\n');
      assert.equal(first, "error: unknown option '--no-such-option'", path.join(' '));
      assert.match(rest.join('\n'), new RegExp(`Usage: crefgate${path.length > 0 ? ` ${path.join(' ')}` : ''} `), `${path.join(' ')} shows its usage`);
      assert.doesNotMatch(err, STACK);
    }
  });

  it('the spawned binary: --help exits 0; an unknown option or command exits 1 without a stack', async function () {
    this.timeout(30_000);
    const help = await spawnResult('bin/crefgate', ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: crefgate/m);
    // Commander reports a missing required option first (one line and the usage too); with them present, the typo.
    for (const args of [['job', 'issue', '--tenant', 't', '--executor', 'e', '--bogus'], ['job', 'issue', '--bogus'], ['no-such-command']]) {
      const result = await spawnResult('bin/crefgate', args);
      assert.equal(result.code, 1, args.join(' '));
      assert.match(result.stderr.split('\n')[0]!, /^error: (unknown option '--bogus'|unknown command 'no-such-command'|required option '--tenant <tenant>' not specified)$/);
      assert.match(result.stderr, /^Usage: crefgate/m);
      assert.doesNotMatch(result.stderr, STACK);
    }
  });

  const benchScripts: Array<[string, string[]]> = [
    ['npm', ['run', '--silent', 'bench', '--']],
    [process.execPath, ['bench/run.ts']],
    [process.execPath, ['bench/audit.ts']],
    [process.execPath, ['bench/heap_top.ts']],
    [process.execPath, ['bench/profile_top.ts']],
    [process.execPath, ['bench/micro_crypto.ts']],
    [process.execPath, ['bench/server_process.ts']],
  ];

  it('npm run bench and every runnable bench script answer --help and refuse an unknown option', async function () {
    this.timeout(60_000);
    await Promise.all(
      benchScripts.map(async ([file, base]) => {
        const what = [file === process.execPath ? 'node' : file, ...base].join(' ');
        const help = await spawnResult(file, [...base, '--help']);
        assert.equal(help.code, 0, `${what} --help: ${help.stderr}`);
        assert.match(help.stdout, /^usage: /m, what);
        const bad = await spawnResult(file, [...base, '--bogus']);
        assert.equal(bad.code, 2, `${what} --bogus`);
        const lines = bad.stderr.trim().split('\n');
        assert.match(lines[0]!, /: Unknown option '--bogus'/, what);
        assert.match(lines[1]!, /^usage: /, what);
        assert.doesNotMatch(bad.stderr, STACK, what);
      }),
    );
  });

  it('bench flags with bad values are refused by name, before anything starts', async function () {
    this.timeout(30_000);
    const result = await spawnResult(process.execPath, ['bench/run.ts', '--concurrency', 'lots']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--concurrency must be a number ≥ 1, got "lots"/);
    const audit = await spawnResult(process.execPath, ['bench/audit.ts', 'verify']);
    assert.equal(audit.code, 2);
    assert.match(audit.stderr, /verify needs the path of a log/);
  });
});
