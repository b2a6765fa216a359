/**
 * The `bootstrap` config section: the second listener where executors without a certificate yet come to get
 * one (and where OIDC-authenticated workloads resolve), and the executor CA that signs their certificates.
 */
import { z } from 'zod';

export const bootstrapConfigSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8444),
  ca_cert_file: z.string().describe('executor CA certificate (PEM); the main listener\'s client_ca_file must include it'),
  ca_key_file: z.string().describe('executor CA private key (PKCS#8 PEM, ECDSA P-256)'),
  certificate_lifetime_seconds: z.number().int().min(60).max(86_400).default(86_400).describe('executor certificate life, at most 24 h'),
  join_token_ttl_seconds: z.number().int().min(60).max(7 * 86_400).default(3600).describe('how long an unused join token stays valid'),
});

export type BootstrapConfig = z.infer<typeof bootstrapConfigSchema>;
