/**
 * The `mysql` adapter kind: per-job MySQL 8 / MariaDB accounts through mysql2, with a revoke that kills the
 * account's connections around DROP USER. See docs/adapters/mysql.md.
 */
import mysql from 'mysql2/promise';
import type { AdapterContext, AdapterFactory } from '../contract.ts';
import { adminPassword, tlsCa } from '../sql_users/admin_password.ts';
import { MysqlAdapter } from './adapter.ts';
import { mysqlOptionsSchema, type MysqlOptions } from './options.ts';

export type { MysqlOptions } from './options.ts';

/** Seams for tests and embedders: the pool factory, the clock, the environment, a hook between revoke steps. */
export interface MysqlDeps {
  createPool?: (config: mysql.PoolOptions) => mysql.Pool;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
  onRevokeStep?: (step: string) => Promise<void>;
}

/** Builds the adapter; the password and CA are read now, connections are opened at the first call. */
function create(options: MysqlOptions, context: AdapterContext, deps: MysqlDeps = {}): MysqlAdapter {
  const password = adminPassword(options.connection, context.configDir, deps.env ?? process.env);
  const ca = tlsCa(options.connection.tls, context.configDir);
  const tls = options.connection.tls;
  const pool = (deps.createPool ?? mysql.createPool)({
    host: options.connection.host,
    port: options.connection.port,
    user: options.connection.user,
    password,
    ssl: tls === undefined ? undefined : { rejectUnauthorized: true, ...(ca === undefined ? {} : { ca }), ...(tls.servername === undefined ? {} : { servername: tls.servername }) },
    connectionLimit: options.pool_size,
    maxIdle: options.pool_size,
    idleTimeout: 30_000,
    connectTimeout: options.statement_timeout_ms,
    // One statement per query: a placeholder value can never smuggle in a second one.
    multipleStatements: false,
    enableKeepAlive: true,
    connectAttributes: { program_name: `crefgate:${context.mount}` },
  });
  return new MysqlAdapter({ options, pool, now: deps.now ?? Date.now, onRevokeStep: deps.onRevokeStep });
}

export const mysqlAdapter = {
  kind: 'mysql',
  optionsSchema: mysqlOptionsSchema,
  create,
} satisfies AdapterFactory<MysqlOptions>;
