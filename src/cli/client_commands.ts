/** CLI commands that talk to a running gateway: jobs, resolve, leases, executors. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { envelopeBody } from '../client/index.ts';
import type { Envelope } from '../envelope/schema.ts';
import { versionFor } from '../executors/secrets.ts';
import { connect, print, withConnection, type ConnectionOptions } from './connection.ts';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseCrefArgs(values: string[]): Record<string, string> {
  const crefs: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq < 1) throw new Error(`--cref ${value}: expected alias=cref://tenant/name`);
    crefs[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return crefs;
}

/** `--bind sha=…` pairs as the issuance request's `bindings` (validated by the gateway), or undefined for none. */
function parseBindArgs(values: string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const bindings: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq < 1) throw new Error(`--bind ${value}: expected name=value (repository, ref, sha, run_id, workflow)`);
    bindings[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return bindings;
}

async function withClient<T>(options: ConnectionOptions, run: (client: ReturnType<typeof connect>) => Promise<T>): Promise<void> {
  const client = connect(options);
  try {
    print(await run(client));
  } finally {
    client.close();
  }
}

export function registerClientCommands(program: Command): void {
  const job = program.command('job').description('issue and complete jobs');
  withConnection(job.command('issue').description('issue a job envelope (coordinator)'), 'coordinator')
    .requiredOption('--tenant <tenant>')
    .requiredOption('--executor <id>')
    .requiredOption('--cref <alias=cref>', 'a secret reference, repeatable', collect, [])
    .option('--ttl <seconds>', 'job lifetime', (v) => Number(v), 600)
    .option('--bind <name=value>', 'bind the job to a CI run: repository, ref, sha, run_id, workflow (repeatable; docs/identity.md)', collect, [])
    .action(async (o: ConnectionOptions & { tenant: string; executor: string; cref: string[]; ttl: number; bind: string[] }) => {
      const client = connect(o);
      try {
        const bindings = parseBindArgs(o.bind);
        const envelope = await client.issueJob({ tenant: o.tenant, executor: o.executor, crefs: parseCrefArgs(o.cref), ttl: o.ttl, ...(bindings === undefined ? {} : { bindings }) });
        // The wire body itself, not pretty JSON: the gateway checks the payload's bytes are RFC 8785 canonical,
        // so this file can be posted as it is (`curl --data @envelope.json`) and resolves.
        process.stdout.write(`${envelopeBody(envelope)}\n`);
      } finally {
        client.close();
      }
    });
  withConnection(job.command('complete <jobId>').description('complete a job and revoke its leases'), 'executor')
    .action((jobId: string, o: ConnectionOptions) => withClient(o, (c) => c.completeJob(jobId)));

  withConnection(program.command('resolve').description('present an envelope and print its secrets (executor)'), 'executor')
    .requiredOption('--envelope <file>', 'envelope JSON from `job issue` (- for stdin)')
    .option('--hmac-secret-file <file>', 'this executor\'s HMAC secret (default <dir>/executors/exec-01.hmac)')
    .option('--no-verify', 'skip the local HMAC/token check before sending')
    .action((o: ConnectionOptions & { envelope: string; hmacSecretFile?: string; verify: boolean }) => {
      const envelope = JSON.parse(readFileSync(o.envelope === '-' ? 0 : o.envelope, 'utf8')) as Envelope;
      const secretFile = o.hmacSecretFile ?? path.join(path.resolve(o.dir ?? '.crefgate'), 'executors', 'exec-01.hmac');
      const version = versionFor(Buffer.from(readFileSync(secretFile, 'utf8').trim(), 'base64url'), 0);
      return withClient(o, (c) => c.resolve(envelope, { hmacSecrets: new Map([[version.kid, version.secret]]), verify: o.verify }));
    });

  const lease = program.command('lease').description('renew and revoke leases');
  withConnection(lease.command('renew <leaseId>').description('extend a lease (never past the job end)'), 'executor')
    .option('--increment <seconds>', 'extension', (v) => Number(v), 300)
    .action((leaseId: string, o: ConnectionOptions & { increment: number }) => withClient(o, (c) => c.renewLease(leaseId, o.increment)));
  withConnection(lease.command('revoke <leaseId>').description('end a lease now'), 'executor')
    .action((leaseId: string, o: ConnectionOptions) => withClient(o, (c) => c.revokeLease(leaseId)));

  const executor = program.command('executor').description('executor lifecycle (admin)');
  withConnection(executor.command('register <id>').description('register an executor; prints its HMAC secret once'), 'admin')
    .requiredOption('--tenant <tenant>')
    .requiredOption('--identity <uri|sha256:fp>', 'bound identity, repeatable', collect, [])
    .option('--allow <pattern>', 'allowed cref pattern, repeatable', collect, [])
    .option('--grace <seconds>', 'how long the previous HMAC secret is accepted after a rotation (default 300)', (v) => Number(v))
    .action((id: string, o: ConnectionOptions & { tenant: string; identity: string[]; allow: string[]; grace?: number }) =>
      withClient(o, (c) => c.registerExecutor({ id, tenant: o.tenant, identities: o.identity, allowed_crefs: o.allow, ...(o.grace === undefined ? {} : { grace_seconds: o.grace }) })));
  withConnection(executor.command('rotate <id>').description('new HMAC secret; the previous one stays valid for the grace window'), 'admin')
    .action((id: string, o: ConnectionOptions) => withClient(o, (c) => c.rotateExecutorSecret(id)));
  withConnection(executor.command('disable <id>').description('refuse every request of the executor from now on, on every replica'), 'admin').action((id: string, o: ConnectionOptions) => withClient(o, (c) => c.setExecutorEnabled(id, false)));
  withConnection(executor.command('enable <id>').description('accept the executor again'), 'admin').action((id: string, o: ConnectionOptions) => withClient(o, (c) => c.setExecutorEnabled(id, true)));
  withConnection(executor.command('join-token <id>').description('one-time token for the executor\'s first certificate (bootstrap listener)'), 'admin')
    .action((id: string, o: ConnectionOptions) => withClient(o, (c) => c.createJoinToken(id)));
  withConnection(executor.command('describe <id>').description('one executor: identities, status, secret versions (never a secret)'), 'admin')
    .action((id: string, o: ConnectionOptions) => withClient(o, (c) => c.describeExecutor(id)));
  withConnection(executor.command('list').description('registered executors and their status (never a secret)'), 'admin')
    .option('--tenant <tenant>')
    .action((o: ConnectionOptions & { tenant?: string }) => withClient(o, (c) => c.listExecutors(o.tenant)));
}
