/**
 * A private PostgreSQL cluster prepared for the adapter tests: group role `app_read` may read `public.items`,
 * nobody issued may read `public.secrets`; `postgresRig` builds adapters against it from plain options.
 */
import pg from 'pg';
import { create, type PostgresAdapter, type PostgresDeps } from '../../../adapters/postgres/adapter.ts';
import { manifest } from '../../../adapters/postgres/index.ts';
import { PrivatePostgres } from './private_postgres.ts';

export const ADMIN_ENV = 'CREFGATE_TEST_PG_ADMIN';

export interface PostgresRig {
  server: PrivatePostgres;
  /** Runs one statement as the admin (test setup and inspection). */
  admin(sql: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** Options for a mount on this cluster, merged with `extra`. */
  options(extra?: Record<string, unknown>): Record<string, unknown>;
  /** An adapter from raw options (parsed by the real schema). */
  adapter(extra?: Record<string, unknown>, deps?: PostgresDeps): PostgresAdapter;
  /** A connection as an issued user. */
  login(user: string, password: string): Promise<pg.Client>;
  close(): Promise<void>;
}

export async function startPostgresRig(): Promise<PostgresRig> {
  const server = await PrivatePostgres.start();
  const adminPool = new pg.Pool({ host: server.host, port: server.port, user: server.adminUser, password: server.adminPassword, database: 'postgres', max: 3 });
  adminPool.on('error', () => undefined);
  const admin = (sql: string, values?: unknown[]) => adminPool.query(sql, values);
  await admin('CREATE ROLE app_read NOLOGIN');
  await admin('CREATE TABLE items (id int PRIMARY KEY, label text)');
  await admin("INSERT INTO items VALUES (1, 'one'), (2, 'two')");
  await admin('CREATE TABLE secrets (id int PRIMARY KEY, value text)');
  await admin('GRANT SELECT ON items TO app_read');
  await admin('GRANT CREATE ON SCHEMA public TO app_read');
  const options = (extra: Record<string, unknown> = {}) => ({
    connection: { host: server.host, port: server.port, database: 'postgres', user: server.adminUser, password_env: ADMIN_ENV },
    roles: { readonly: { grant_roles: ['app_read'] } },
    ...extra,
  });
  const adapters: PostgresAdapter[] = [];
  return {
    server,
    admin,
    options,
    adapter(extra = {}, deps = {}) {
      const parsed = manifest.optionsSchema.parse(options(extra));
      const adapter = create(parsed, { mount: 'pg', stateDir: server.dir, configDir: server.dir }, { env: { [ADMIN_ENV]: server.adminPassword }, ...deps });
      adapters.push(adapter);
      return adapter;
    },
    async login(user, password) {
      const client = new pg.Client({ host: server.host, port: server.port, user, password, database: 'postgres', connectionTimeoutMillis: 3000 });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
    async close() {
      await Promise.allSettled(adapters.map((a) => a.close()));
      await adminPool.end().catch(() => undefined);
      await server.stop();
    },
  };
}
