/**
 * GCP Secret Manager adapter kind `gcp-secret-manager`. Mount options: see options.ts and
 * docs/adapters/gcp.md.
 */
import type { AdapterFactory } from '../contract.ts';
import { createGcpSecretManagerAdapter } from './adapter.ts';
import { gcpOptionsSchema, type GcpOptions } from './options.ts';

export const gcpSecretManagerAdapter = {
  kind: 'gcp-secret-manager',
  optionsSchema: gcpOptionsSchema,
  create: (options, context) => createGcpSecretManagerAdapter(options, context),
} satisfies AdapterFactory<GcpOptions>;

export { createGcpSecretManagerAdapter, type GcpAdapterDeps } from './adapter.ts';
export type { AccessResponse, CreateGcpClient, GcpSecretManagerClient } from './client.ts';
export { crc32c } from './crc32c.ts';
export type { GcpOptions } from './options.ts';
