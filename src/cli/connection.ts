/** How CLI commands reach the gateway: a state folder and a client name, or explicit certificate files. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CrefgateClient } from '../client/index.ts';
import { DEFAULT_GATEWAY_URL } from '../config/defaults.ts';

export interface ConnectionOptions {
  url?: string;
  dir?: string;
  as?: string;
  cert?: string;
  key?: string;
  ca?: string;
}

/** Adds --url, --dir, --as, --cert, --key and --ca to a command. */
export function withConnection(command: Command, defaultAs: string): Command {
  return command
    .option('--url <url>', 'gateway URL (env CREFGATE_URL)', process.env.CREFGATE_URL ?? DEFAULT_GATEWAY_URL)
    .option('--dir <dir>', 'state folder of `crefgate dev` (env CREFGATE_DIR)', process.env.CREFGATE_DIR ?? '.crefgate')
    .option('--as <name>', 'client certificate name in <dir>/clients', defaultAs)
    .option('--cert <file>', 'client certificate (overrides --dir/--as)')
    .option('--key <file>', 'client key')
    .option('--ca <file>', 'CA bundle of the gateway certificate');
}

/** A client for the options of a command. */
export function connect(options: ConnectionOptions): CrefgateClient {
  const dir = path.resolve(options.dir ?? '.crefgate');
  const name = options.as ?? 'executor';
  return new CrefgateClient({
    url: options.url ?? DEFAULT_GATEWAY_URL,
    cert: readFileSync(options.cert ?? path.join(dir, 'clients', `${name}.crt`)),
    key: readFileSync(options.key ?? path.join(dir, 'clients', `${name}.key`)),
    ca: readFileSync(options.ca ?? path.join(dir, 'pki', 'ca.crt')),
  });
}

/** Prints a JSON result on stdout. */
export function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
