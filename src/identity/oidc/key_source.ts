/**
 * Verification keys of one OIDC issuer: its JWKS through jose's remote key set (cached; refetched when a token
 * names an unknown kid, at most once per cooldown, default 5 s, so random kids cannot turn the gateway into a
 * fetch amplifier). Without a configured jwks_uri, the issuer's discovery document names it; the document must
 * name the very same issuer, so a redirected or spoofed document cannot lend its keys to another issuer.
 */
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import type { OidcIssuerConfig } from './config.ts';

const FETCH_TIMEOUT_MS = 5000;

async function discoverJwksUri(issuer: string): Promise<string> {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    redirect: 'error',
  });
  if (!response.ok) throw new Error(`discovery answered HTTP ${response.status}`);
  const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
  if (document.issuer !== issuer) throw new Error('discovery document names another issuer');
  if (typeof document.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri');
  const url = new URL(document.jwks_uri);
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new Error('discovered jwks_uri is not https');
  return url.href;
}

/**
 * The key resolver for one issuer. An unknown kid refetches the JWKS at once, at most once per cooldown (per
 * issuer: one key set each), so a rotation is honoured within seconds and random kids cannot flood the issuer.
 * Discovery (if needed) runs on first use; after a failure it is retried no sooner than the cooldown either.
 */
export function issuerKeys(config: OidcIssuerConfig): JWTVerifyGetKey {
  const cooldownMs = config.jwks_cooldown_seconds * 1000;
  let keySet: Promise<JWTVerifyGetKey> | undefined;
  let failedAt = Number.NEGATIVE_INFINITY;
  const load = async () => {
    const uri = config.jwks_uri ?? (await discoverJwksUri(config.issuer));
    return createRemoteJWKSet(new URL(uri), {
      cooldownDuration: cooldownMs,
      cacheMaxAge: config.jwks_cache_seconds * 1000,
      timeoutDuration: FETCH_TIMEOUT_MS,
    });
  };
  return async (header, token) => {
    if (keySet === undefined && Date.now() - failedAt < cooldownMs) throw new Error('issuer discovery failed moments ago');
    keySet ??= load().catch((err: unknown) => {
      keySet = undefined;
      failedAt = Date.now();
      throw err;
    });
    return await (await keySet)(header, token);
  };
}
