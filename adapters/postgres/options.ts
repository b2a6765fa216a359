/**
 * Options of a `postgres` mount, validated once at start-up: the admin connection, the user-name prefix, the role
 * definitions routes pick from, and where an issued user's objects go when it is dropped.
 */
import { z } from 'zod';
import { commonShape, connectionOptions, identifier } from '../sql_users/options.ts';

export const postgresOptionsSchema = z.strictObject({
  connection: connectionOptions(5432),
  ...commonShape,
  /** Role that receives what an issued user owned (REASSIGN OWNED); default: the admin user. */
  reassign_owned_to: identifier.optional(),
  /** Databases where REASSIGN OWNED / DROP OWNED run at revocation (they act per database); default: the admin database. */
  cleanup_databases: z.array(identifier).min(1).max(50).optional(),
});

export type PostgresOptions = z.infer<typeof postgresOptionsSchema>;
