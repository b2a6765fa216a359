/**
 * The `postgres` adapter kind: per-job PostgreSQL users through `pg`, with `VALID UNTIL`, renew and a revoke
 * that ends sessions before dropping the user. See docs/adapters/postgres.md.
 */
import pg from 'pg';
import type { AdapterContext, AdapterFactory } from '../contract.ts';
import { adminPassword, tlsCa } from '../sql_users/admin_password.ts';
import { PostgresAdapter } from './adapter.ts';
import { postgresOptionsSchema, type PostgresOptions } from './options.ts';

export type { PostgresOptions } from './options.ts';

/** Seams for tests and embedders: the pool factory, the clock, the environment, a hook between revoke steps. */
export interface PostgresDeps {
  createPool?: (config: pg.PoolConfig) => pg.Pool;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
  onRevokeStep?: (step: string) => Promise<void>;
}

/** Builds the adapter; the password and CA are read now, connections are opened at the first call. */
function create(options: PostgresOptions, context: AdapterContext, deps: PostgresDeps = {}): PostgresAdapter {
  const password = adminPassword(options.connection, context.configDir, deps.env ?? process.env);
  const ca = tlsCa(options.connection.tls, context.configDir);
  const tls = options.connection.tls;
  const pools = new Map<string, pg.Pool>();
  const pool = (database: string): pg.Pool => {
    let existing = pools.get(database);
    if (existing === undefined) {
      // Every option is pinned: pg would otherwise fill gaps from PGHOST, PGUSER, PGPASSWORD… of the environment.
      existing = (deps.createPool ?? ((c) => new pg.Pool(c)))({
        host: options.connection.host,
        port: options.connection.port,
        database,
        user: options.connection.user,
        password,
        ssl: tls === undefined ? false : { rejectUnauthorized: true, ...(ca === undefined ? {} : { ca }), ...(tls.servername === undefined ? {} : { servername: tls.servername }) },
        max: database === options.connection.database ? options.pool_size : 2,
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: options.statement_timeout_ms,
        statement_timeout: options.statement_timeout_ms,
        application_name: `crefgate:${context.mount}`,
      });
      // An idle connection the server ends (restart, pg_terminate_backend) is reported here; the pool drops it
      // and the next call opens a new one. Without a listener the error would end the process.
      existing.on('error', () => undefined);
      pools.set(database, existing);
    }
    return existing;
  };
  return new PostgresAdapter({
    options,
    pool,
    now: deps.now ?? Date.now,
    onRevokeStep: deps.onRevokeStep,
    close: async () => {
      await Promise.allSettled([...pools.values()].map((p) => p.end()));
      pools.clear();
    },
  });
}

export const postgresAdapter = {
  kind: 'postgres',
  optionsSchema: postgresOptionsSchema,
  create,
} satisfies AdapterFactory<PostgresOptions>;
