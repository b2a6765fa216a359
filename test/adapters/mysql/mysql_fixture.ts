/**
 * A private MariaDB prepared for the adapter tests: role `app_read` may read `appdb.items`, nobody issued may
 * read `appdb.secrets`; `mysqlRig` builds adapters against it from plain options.
 */
import mysql from 'mysql2/promise';
import { create, type MysqlAdapter, type MysqlDeps } from '../../../adapters/mysql/adapter.ts';
import { manifest } from '../../../adapters/mysql/index.ts';
import { PrivateMariaDb } from './private_mariadb.ts';

export const MYSQL_ADMIN_ENV = 'CREFGATE_TEST_MYSQL_ADMIN';

export interface MysqlRig {
  server: PrivateMariaDb;
  admin<T extends mysql.RowDataPacket[] | mysql.ResultSetHeader = mysql.RowDataPacket[]>(sql: string, values?: unknown[]): Promise<T>;
  options(extra?: Record<string, unknown>): Record<string, unknown>;
  adapter(extra?: Record<string, unknown>, deps?: MysqlDeps): MysqlAdapter;
  login(user: string, password: string): Promise<mysql.Connection>;
  close(): Promise<void>;
}

export async function startMysqlRig(): Promise<MysqlRig> {
  const server = await PrivateMariaDb.start();
  const adminPool = mysql.createPool({ host: server.host, port: server.port, user: server.adminUser, password: server.adminPassword, connectionLimit: 3 });
  const admin = async <T,>(sql: string, values?: unknown[]) => (await adminPool.query(sql, values))[0] as T;
  await admin('CREATE DATABASE appdb');
  await admin('CREATE TABLE appdb.items (id INT PRIMARY KEY, label TEXT)');
  await admin("INSERT INTO appdb.items VALUES (1, 'one'), (2, 'two')");
  await admin('CREATE TABLE appdb.secrets (id INT PRIMARY KEY, value TEXT)');
  await admin('CREATE ROLE app_read');
  await admin('GRANT SELECT ON appdb.items TO app_read');
  const options = (extra: Record<string, unknown> = {}) => ({
    connection: { host: server.host, port: server.port, database: 'appdb', user: server.adminUser, password_env: MYSQL_ADMIN_ENV },
    roles: { readonly: { grant_roles: ['app_read'] } },
    ...extra,
  });
  const adapters: MysqlAdapter[] = [];
  return {
    server,
    admin: admin as MysqlRig['admin'],
    options,
    adapter(extra = {}, deps = {}) {
      const parsed = manifest.optionsSchema.parse(options(extra));
      const adapter = create(parsed, { mount: 'my', stateDir: server.dir, configDir: server.dir }, { env: { [MYSQL_ADMIN_ENV]: server.adminPassword }, ...deps });
      adapters.push(adapter);
      return adapter;
    },
    async login(user, password) {
      const conn = await mysql.createConnection({ host: server.host, port: server.port, user, password, database: 'appdb', connectTimeout: 3000 });
      conn.on('error', () => undefined);
      return conn;
    },
    async close() {
      await Promise.allSettled(adapters.map((a) => a.close()));
      await adminPool.end().catch(() => undefined);
      await server.stop();
    },
  };
}
