/**
 * The `gcp-secret-manager` adapter kind: GCP Secret Manager through the official client, every payload checked
 * against its CRC32C (adapter.ts). Mount options: options.ts and docs/adapters/gcp.md.
 */
import { defineAdapter } from '../kit/manifest.ts';
import { gcpOptionsSchema } from './options.ts';

export const manifest = defineAdapter({
  kind: 'gcp-secret-manager',
  optionsSchema: gcpOptionsSchema,
  load: () => import('./adapter.ts'),
});

export type { GcpOptions } from './options.ts';
