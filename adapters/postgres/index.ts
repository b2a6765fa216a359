/**
 * The `postgres` adapter kind: per-job PostgreSQL users through `pg`, with `VALID UNTIL`, renew and a revoke
 * that ends sessions before dropping the user (adapter.ts). See docs/adapters/postgres.md.
 */
import { defineAdapter } from '../kit/manifest.ts';
import { postgresOptionsSchema } from './options.ts';

export const manifest = defineAdapter({
  kind: 'postgres',
  optionsSchema: postgresOptionsSchema,
  load: () => import('./adapter.ts'),
});

export type { PostgresOptions } from './options.ts';
