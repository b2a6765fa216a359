/**
 * `node bench/db.ts [flags]` (also `npm run bench -- --db`): per-job database users issued and revoked per second,
 * with p50/p99 latency, through the postgres and mysql adapters (the same code a resolve and a job completion
 * run), against a private PostgreSQL (scram-sha-256) and a private MariaDB by default, or the shared servers
 * on this machine with --shared (127.0.0.1:5432 postgres/trust, 127.0.0.1:3306 root). Everything the bench
 * creates (users, roles, tables, the bench admin) is removed at the end, even on failure.
 *
 * Flags: --count 1000 (users per run) --concurrency 4 --shared --only postgres|mysql --json <file> --help.
 * Vault's database engine reference on a developer machine: ~226 credentials/s on PostgreSQL, ~93/s on MySQL.
 */
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { IssueRequest, JsonValue, SecretAdapter } from '../adapters/contract.ts';
import { create as createMysql } from '../adapters/mysql/adapter.ts';
import { manifest as mysqlManifest } from '../adapters/mysql/index.ts';
import { numberFlag, parseFlags, refuse } from '../src/cli/flags.ts';
import { create as createPostgres } from '../adapters/postgres/adapter.ts';
import { manifest as postgresManifest } from '../adapters/postgres/index.ts';
import { PrivateMariaDb } from '../test/adapters/mysql/private_mariadb.ts';
import { PrivatePostgres } from '../test/adapters/postgres/private_postgres.ts';
import { quantile } from './load.ts';

const DB_BENCH = {
  name: 'bench/db.ts',
  usage: `node bench/db.ts [--count 1000] [--concurrency 4] [--shared] [--only postgres|mysql] [--json <file>]
Per-job database users issued and revoked per second, p50/p99, on private (or --shared) PostgreSQL and MariaDB.`,
};
const { values: flags } = parseFlags({
  ...DB_BENCH,
  options: {
    count: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    shared: { type: 'boolean', default: false },
    only: { type: 'string' },
    json: { type: 'string' },
  },
});
const count = numberFlag(DB_BENCH, '--count', flags.count, 1);
const concurrency = numberFlag(DB_BENCH, '--concurrency', flags.concurrency, 1);
if (flags.only !== undefined && flags.only !== 'postgres' && flags.only !== 'mysql') refuse(DB_BENCH, `--only must be postgres or mysql, got ${JSON.stringify(flags.only)}`);
const out = (line: string) => process.stdout.write(`${line}\n`);
const ENV = 'CREFGATE_BENCH_DB_ADMIN';

/** A server to bench against, with the group role `bench_read`, and how to undo everything. */
interface Target {
  adapter: SecretAdapter;
  teardown(): Promise<void>;
}

async function postgresTarget(): Promise<Target> {
  const server = flags.shared ? undefined : await PrivatePostgres.start();
  const conn = server === undefined
    ? { host: '127.0.0.1', port: 5432, user: 'postgres', password: 'trust-ignores-it' }
    : { host: server.host, port: server.port, user: server.adminUser, password: server.adminPassword };
  const admin = new pg.Pool({ ...conn, database: 'postgres', max: 2 });
  admin.on('error', () => undefined);
  await admin.query('DROP ROLE IF EXISTS cgbench_read');
  await admin.query('CREATE ROLE cgbench_read NOLOGIN');
  const options = postgresManifest.optionsSchema.parse({
    connection: { host: conn.host, port: conn.port, database: 'postgres', user: conn.user, password_env: ENV },
    username_prefix: 'cgbench_',
    pool_size: concurrency,
    roles: { readonly: { grant_roles: ['cgbench_read'] } },
  });
  const adapter = createPostgres(options, { mount: 'bench', stateDir: '/', configDir: '/' }, { env: { [ENV]: conn.password } });
  return {
    adapter,
    async teardown() {
      await adapter.close();
      const left = await admin.query("SELECT rolname FROM pg_roles WHERE left(rolname, 8) = 'cgbench_'");
      for (const { rolname } of left.rows) await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(rolname)}`);
      await admin.end();
      await server?.stop();
    },
  };
}

async function mysqlTarget(): Promise<Target> {
  const server = flags.shared ? undefined : await PrivateMariaDb.start();
  const root = server === undefined ? { host: '127.0.0.1', port: 3306, user: 'root', password: '' } : { host: server.host, port: server.port, user: 'root', password: server.adminPassword };
  const admin = mysql.createPool({ ...root, connectionLimit: 2 });
  // The adapter refuses an empty admin password, so the bench makes its own admin (and drops it after).
  const benchPassword = `bench-${Math.random().toString(36).slice(2)}-admin`;
  await admin.query("DROP USER IF EXISTS 'cgbench_admin'@'127.0.0.1', 'cgbench_admin'@'localhost'");
  await admin.query('CREATE USER ?@? IDENTIFIED BY ?', ['cgbench_admin', '127.0.0.1', benchPassword]);
  await admin.query("GRANT ALL PRIVILEGES ON *.* TO 'cgbench_admin'@'127.0.0.1' WITH GRANT OPTION");
  await admin.query('DROP ROLE IF EXISTS cgbench_read').catch(() => undefined);
  await admin.query('CREATE ROLE cgbench_read');
  await admin.query("GRANT 'cgbench_read' TO 'cgbench_admin'@'127.0.0.1' WITH ADMIN OPTION");
  const options = mysqlManifest.optionsSchema.parse({
    connection: { host: root.host, port: root.port, database: 'mysql', user: 'cgbench_admin', password_env: ENV },
    username_prefix: 'cgbench_',
    admin_schema: 'cgbench',
    pool_size: concurrency,
    roles: { readonly: { grant_roles: ['cgbench_read'] } },
  });
  const adapter = createMysql(options, { mount: 'bench', stateDir: '/', configDir: '/' }, { env: { [ENV]: benchPassword } });
  return {
    adapter,
    async teardown() {
      await adapter.close();
      const [left] = await admin.query<mysql.RowDataPacket[]>("SELECT User, Host FROM mysql.user WHERE LEFT(User, 8) = 'cgbench_'");
      for (const { User, Host } of left) await admin.query('DROP USER IF EXISTS ?@?', [User, Host]);
      await admin.query('DROP ROLE IF EXISTS cgbench_read').catch(() => undefined);
      await admin.query('DROP DATABASE IF EXISTS cgbench');
      await admin.end();
      await server?.stop();
    },
  };
}

/** Runs `op` for indexes 0..n-1 with `concurrency` in flight; returns ops/s and each op's latency (ms). */
async function closedLoop(n: number, op: (i: number) => Promise<void>): Promise<{ perSecond: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await op(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: n / seconds, latencies };
}

const summary = (r: { perSecond: number; latencies: number[] }) => ({
  per_second: Math.round(r.perSecond),
  p50_ms: Number(quantile(r.latencies, 0.5).toFixed(2)),
  p99_ms: Number(quantile(r.latencies, 0.99).toFixed(2)),
});

async function bench(name: string, make: () => Promise<Target>): Promise<Record<string, unknown>> {
  const target = await make();
  try {
    const job = { jobId: 'job_bench', tenant: 'tenant_bench', executor: 'exec-bench', expiresAt: Date.now() + 3_600_000 };
    const request = (): IssueRequest => ({ path: 'readonly', maxTtlSeconds: 3600, job, signal: AbortSignal.timeout(30_000) });
    // Warm-up: pools open, plans cached; its users are revoked before measuring.
    const warm = await Promise.all(Array.from({ length: concurrency }, () => target.adapter.issue!(request())));
    await Promise.all(warm.map((c) => target.adapter.revoke!({ handle: c.handle, signal: AbortSignal.timeout(30_000) })));
    const handles: JsonValue[] = new Array(count);
    const issued = await closedLoop(count, async (i) => {
      handles[i] = (await target.adapter.issue!(request())).handle;
    });
    const revoked = await closedLoop(count, async (i) => {
      await target.adapter.revoke!({ handle: handles[i]!, signal: AbortSignal.timeout(30_000) });
    });
    const result = { server: flags.shared ? 'shared' : 'private', users: count, concurrency, issue: summary(issued), revoke: summary(revoked) };
    out(`${name.padEnd(10)} issue ${String(result.issue.per_second).padStart(5)}/s p50 ${result.issue.p50_ms} ms p99 ${result.issue.p99_ms} ms | revoke ${String(result.revoke.per_second).padStart(5)}/s p50 ${result.revoke.p50_ms} ms p99 ${result.revoke.p99_ms} ms`);
    return result;
  } finally {
    await target.teardown();
  }
}

const results: Record<string, unknown> = { node: process.version, cpus: (await import('node:os')).cpus().length };
out(`database users: ${count} per run, concurrency ${concurrency}, ${flags.shared ? 'shared' : 'private'} servers`);
if (flags.only !== 'mysql') results.postgres = await bench('postgres', postgresTarget);
if (flags.only !== 'postgres') results.mariadb = await bench('mariadb', mysqlTarget);
if (flags.json !== undefined) await writeFile(flags.json, `${JSON.stringify(results, null, 2)}\n`);
