/**
 * Child process for the orphan test: creates one user through the postgres or mysql adapter, says so on stdout
 * and then waits to be SIGKILLed, as a gateway that dies between `issue` and recording the lease.
 */
import * as mysqlAdapter from '../../../adapters/mysql/adapter.ts';
import { manifest as mysqlManifest } from '../../../adapters/mysql/index.ts';
import * as postgresAdapter from '../../../adapters/postgres/adapter.ts';
import { manifest as postgresManifest } from '../../../adapters/postgres/index.ts';

const mysql = process.env.ORPHAN_KIND === 'mysql';
const options = (mysql ? mysqlManifest : postgresManifest).optionsSchema.parse(JSON.parse(process.env.ORPHAN_OPTIONS!));
const adapter = ((mysql ? mysqlAdapter : postgresAdapter).create as (o: unknown, c: unknown) => { issue(r: unknown): Promise<{ value: Record<string, string> }> })(options, { mount: process.env.ORPHAN_MOUNT, stateDir: '/', configDir: '/' });
const cred = await adapter.issue({
  path: 'readonly',
  maxTtlSeconds: 600,
  job: { jobId: process.env.ORPHAN_JOB!, tenant: 'tenant_abc', executor: 'exec-01', expiresAt: Date.now() + 600_000 },
  signal: AbortSignal.timeout(10_000),
});
process.stdout.write(`created ${cred.value.username}\n`);
setInterval(() => undefined, 60_000);
