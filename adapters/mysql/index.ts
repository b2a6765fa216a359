/**
 * The `mysql` adapter kind: per-job MySQL 8 / MariaDB accounts through mysql2, with a revoke that kills the
 * account's connections around DROP USER (adapter.ts). See docs/adapters/mysql.md.
 */
import { defineAdapter } from '../kit/manifest.ts';
import { mysqlOptionsSchema } from './options.ts';

export const manifest = defineAdapter({
  kind: 'mysql',
  optionsSchema: mysqlOptionsSchema,
  load: () => import('./adapter.ts'),
});

export type { MysqlOptions } from './options.ts';
