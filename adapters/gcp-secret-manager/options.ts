/**
 * Mount options of the GCP Secret Manager adapter, validated once at start-up. There is deliberately no
 * credentials option: the gateway authenticates with Application Default Credentials (workload identity on
 * GKE, the attached service account on GCE/Cloud Run), so no key file ever sits in crefgate's config.
 */
import { z } from 'zod';

const projectId = z
  .string()
  .regex(/^(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]{1,20})$/, 'a GCP project id or project number');

export const gcpOptionsSchema = z
  .strictObject({
    project: projectId.describe('project that bare secret ids are read from'),
    allowed_projects: z
      .array(projectId)
      .default([])
      .describe('further projects a full resource name may name; any other project is refused'),
    api_endpoint: z.string().min(1).optional().describe('host only, e.g. secretmanager.europe-west1.rep.googleapis.com'),
    port: z.number().int().min(1).max(65535).optional(),
    insecure: z.boolean().default(false).describe('tests only: plaintext gRPC without credentials'),
    universe_domain: z
      .string()
      .min(1)
      .default('googleapis.com')
      .describe('set explicitly: without it the client asks the metadata server while connecting'),
    allow_missing_checksum: z
      .boolean()
      .default(false)
      .describe('accept payloads without data_crc32c (versions the service never checksummed)'),
  })
  // Plaintext would carry secret values unencrypted: allow it only to an emulator on this machine.
  .refine((o) => !o.insecure || (o.api_endpoint !== undefined && isLoopbackHost(o.api_endpoint)), {
    message: 'insecure requires a loopback api_endpoint (127.0.0.1, ::1 or localhost)',
    path: ['insecure'],
  });

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

export type GcpOptions = z.infer<typeof gcpOptionsSchema>;
