/**
 * The `oidc` config section: which workload token issuers are trusted (GitHub Actions, GitLab CI, a Kubernetes
 * service-account issuer…), for which audiences and algorithms, and the rules that map a token's claims to one
 * registered executor. Keys come from the issuer's JWKS, named directly or found by OIDC discovery.
 */
import { z } from 'zod';
import { ID_PATTERN } from '../../envelope/id.ts';

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** https only; plain http is tolerated for loopback hosts (local emulators), never across a network. */
function isTrustworthyUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  } catch {
    return false;
  }
}

const url = z.string().refine(isTrustworthyUrl, 'an https URL (http only for a loopback host)');
const claimName = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/);
const claimValue = z.string().min(1).max(512);

const executorMapping = z.strictObject({
  executor: z.string().regex(ID_PATTERN).describe('registered executor id the token becomes'),
  tenant: z.string().regex(ID_PATTERN).describe('must be the executor\'s tenant, checked on every request'),
  claims: z
    .record(claimName, z.union([claimValue, z.array(claimValue).min(1)]))
    .refine((c) => Object.keys(c).length > 0, 'at least one claim: a rule matching every token of an issuer is a mistake')
    .describe('claims that must all match exactly (a list: any of); nested claims by dotted path, e.g. kubernetes.io.namespace'),
});

const issuer = z.strictObject({
  issuer: url.describe('exact `iss` value'),
  jwks_uri: url.optional().describe('default: discovered from <issuer>/.well-known/openid-configuration'),
  audiences: z.array(z.string().min(1)).min(1).describe('accepted `aud` values'),
  algorithms: z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'])).min(1).default(['RS256', 'ES256'])
    .describe('asymmetric only: HS* and none can never be configured'),
  max_token_age_seconds: z.number().int().min(1).max(86_400).optional().describe('refuse tokens whose iat is older'),
  jwks_cooldown_seconds: z.number().int().min(0).max(300).default(5)
    .describe('an unknown kid refetches the JWKS at once, but at most once per this many seconds per issuer: a rotated-in key is honoured within it, random kids cannot flood the issuer'),
  jwks_cache_seconds: z.number().int().min(1).max(86_400).default(600),
  executors: z.array(executorMapping).min(1).describe('first matching rule wins; no match: the token is refused'),
});

export const oidcConfigSchema = z.strictObject({
  clock_skew_seconds: z.number().int().min(0).max(300).default(30),
  issuers: z.array(issuer).default([]),
});

export type OidcConfig = z.infer<typeof oidcConfigSchema>;
export type OidcIssuerConfig = z.infer<typeof issuer>;
