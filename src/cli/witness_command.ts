/**
 * `crefgate witness`: run a tlog-witness for crefgate audit logs (`serve`), make its key (`keygen`), print the
 * verifier key that gateways and auditors pin (`vkey`) and the latest checkpoint it cosigned (`latest`). Meant to run on another host than the gateway, under
 * another operator: its key and its state folder must be out of reach of whoever administers the gateway.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseVerifierKey, signerFromPem } from '../audit/log/note.ts';
import { cosignerKeyString } from '../audit/log/cosignature.ts';
import { createWitnessServer, listen } from '../witness/server.ts';
import { readWitnessed, WitnessState } from '../witness/state.ts';

/** Adds the `witness` command group. */
export function registerWitnessCommand(program: Command): void {
  const witness = program.command('witness').description('an off-host witness that cosigns audit checkpoints (C2SP tlog-witness)');

  witness
    .command('serve')
    .description('serve POST /add-checkpoint; cosign only checkpoints that extend the last one cosigned per log')
    .requiredOption('--name <name>', 'witness name (key name of its cosignatures), e.g. witness.example.net/w1')
    .requiredOption('--key <file>', 'its Ed25519 private key (PKCS#8 PEM), see `witness keygen`')
    .requiredOption('--state <dir>', 'its own state folder (latest cosigned checkpoint per log)')
    .requiredOption('--log <vkey...>', 'checkpoint verifier key of a log (name = origin); repeat for several logs or keys')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8089')
    .action(async (options: { name: string; key: string; state: string; log: string[]; listen: string }) => {
      const match = /^(.*):(\d{1,5})$/.exec(options.listen);
      if (match === null) throw new Error('--listen must be host:port');
      const signer = signerFromPem(options.name, readFileSync(options.key));
      const logs = options.log.map((vkey) => parseVerifierKey(vkey));
      const state = new WitnessState(options.state);
      const server = createWitnessServer({ signer, logs, state, log: (line) => process.stderr.write(`${line}\n`) });
      const address = await listen(server, match[1]!.replace(/^\[(.*)\]$/, '$1'), Number(match[2]));
      const stop = (): void => {
        server.close();
        server.closeAllConnections();
        state.close();
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      console.log(`witness ${options.name} listening on http://${address.address}:${address.port} for ${[...new Set(logs.map((l) => l.name))].join(', ')}`);
      console.log(`verifier key: ${cosignerKeyString(signer)}`);
    });

  witness
    .command('keygen')
    .description('write a new Ed25519 witness key (mode 0600) and print its verifier key')
    .requiredOption('--name <name>', 'witness name')
    .requiredOption('--out <file>', 'PEM file to create (never overwritten)')
    .action((options: { name: string; out: string }) => {
      const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
      writeFileSync(options.out, pem, { mode: 0o600, flag: 'wx' });
      console.log(cosignerKeyString(signerFromPem(options.name, pem)));
    });

  witness
    .command('latest')
    .description('print the latest checkpoint this witness cosigned for a log, for `audit verify --trusted-checkpoint`')
    .requiredOption('--state <dir>', 'the witness state folder')
    .requiredOption('--origin <origin>', 'the log origin')
    .action(async (options: { state: string; origin: string }) => {
      const latest = await readWitnessed(options.state, options.origin);
      if (latest === undefined) throw new Error(`this witness has cosigned nothing for ${options.origin}`);
      process.stdout.write(latest.note);
    });

  witness
    .command('vkey')
    .description('print the verifier key (type 0x04) of a witness key, to pin in audit.witnesses and audit verify --witness-key')
    .requiredOption('--name <name>', 'witness name')
    .requiredOption('--key <file>', 'the witness private key (PEM)')
    .action((options: { name: string; key: string }) => {
      console.log(cosignerKeyString(signerFromPem(options.name, readFileSync(options.key))));
    });
}
