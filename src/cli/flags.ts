/**
 * Command-line flags for the scripts that are not `crefgate` subcommands (`npm run bench`, the bench tools):
 * node:util parseArgs plus what a user expects of any command: `--help` prints the usage and exits 0; an
 * unknown option, a missing value, a wrong number of arguments or a bad number exits 2 with one line naming
 * the mistake and the usage, never a stack trace.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ options: O; args: string[]; allowPositionals: true; strict: true }>>;

export interface FlagSpec<O extends Options> {
  /** How the command is run, e.g. `npm run bench --`. */
  name: string;
  /** The usage text printed by --help and after a mistake (lines without the leading "usage: "). */
  usage: string;
  options: O;
  /** Allowed count of positional arguments (default none). */
  positionals?: { min: number; max: number };
}

/** Prints `name: reason` and the usage on stderr and exits 2. */
export function refuse(spec: { name: string; usage: string }, reason: string): never {
  process.stderr.write(`${spec.name}: ${reason.split('\n')[0]}\nusage: ${spec.usage}\n`);
  process.exit(2);
}

/** Parses `argv` (default: this process's arguments) against `spec`; exits on --help or on a mistake. */
export function parseFlags<O extends Options>(spec: FlagSpec<O>, argv: string[] = process.argv.slice(2)): Parsed<O> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`usage: ${spec.usage}\n`);
    process.exit(0);
  }
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ options: spec.options, args: argv, allowPositionals: true, strict: true });
  } catch (err) {
    refuse(spec, (err as Error).message);
  }
  const { min, max } = spec.positionals ?? { min: 0, max: 0 };
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    const extra = parsed.positionals.length > max ? `unexpected argument ${JSON.stringify(parsed.positionals[max])}` : 'missing argument';
    refuse(spec, extra);
  }
  return parsed;
}

/** A flag's (or argument's) value as a finite number ≥ `min`, or the one-line refusal naming `label`. */
export function numberFlag(spec: { name: string; usage: string }, label: string, value: string | undefined, min = 0): number {
  const n = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(n) || n < min) refuse(spec, `${label} must be a number ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}
