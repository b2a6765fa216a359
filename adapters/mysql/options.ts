/**
 * Options of a `mysql` mount (MySQL 8 and MariaDB 10.4+), validated once at start-up: the admin connection, the
 * user-name prefix, the role definitions routes pick from, the host part of issued accounts, and the schema of
 * the bookkeeping table where intent is recorded before a user is created.
 */
import { z } from 'zod';
import { commonShape, connectionOptions, identifier } from '../sql_users/options.ts';

export const mysqlOptionsSchema = z.strictObject({
  connection: connectionOptions(3306),
  ...commonShape,
  /** Host part of issued accounts (`'user'@'<host>'`): `%`, an address, or a pattern such as `10.0.%`. */
  user_host: z.string().regex(/^[A-Za-z0-9.%_:-]{1,255}$/, 'a host pattern of letters, digits and . % _ : -').default('%'),
  /** Schema of the bookkeeping table `issued_users` (created if missing): intent is written there before CREATE USER. */
  admin_schema: identifier.default('crefgate'),
});

export type MysqlOptions = z.infer<typeof mysqlOptionsSchema>;
