/**
 * Workload OIDC identity, the alternative to a client certificate (identity step, step 1). A bearer token is
 * accepted only if: its header carries nothing but alg, kid, typ and x5t (no key or key URL from the token
 * itself); its alg is on the issuer's asymmetric allow-list; its `iss` is a configured issuer, checked again
 * by the verification; its signature verifies with that issuer's JWKS; `aud`, `exp`, `nbf` and `iat` hold
 * within the allowed skew; and a mapping rule turns its claims into exactly one registered executor.
 */
import { createHash } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { GatewayError, deny } from '../../errors.ts';
import type { Identity } from '../identity.ts';
import { claimsSatisfy, flattenClaims } from './claims.ts';
import type { OidcConfig, OidcIssuerConfig } from './config.ts';
import { issuerKeys } from './key_source.ts';

const ALLOWED_HEADERS = new Set(['alg', 'kid', 'typ', 'x5t']);
const MAX_TOKEN_BYTES = 8192;

interface TrustedIssuer {
  config: OidcIssuerConfig;
  keys: JWTVerifyGetKey;
}

export class OidcVerifier {
  private readonly issuers = new Map<string, TrustedIssuer>();
  private readonly skewSeconds: number;

  constructor(config: OidcConfig, keysFor: (issuer: OidcIssuerConfig) => JWTVerifyGetKey = issuerKeys) {
    this.skewSeconds = config.clock_skew_seconds;
    for (const issuer of config.issuers) {
      if (this.issuers.has(issuer.issuer)) throw new Error(`oidc: issuer ${issuer.issuer} is configured twice`);
      this.issuers.set(issuer.issuer, { config: issuer, keys: keysFor(issuer) });
    }
  }

  get enabled(): boolean {
    return this.issuers.size > 0;
  }

  /** The executor identity a workload token proves; throws a denial at step `tls` otherwise. */
  async verify(token: string, nowMs: number): Promise<Identity> {
    const fail = (reason: string) => deny('unauthenticated', 'tls', `oidc: ${reason}`);
    if (token.length > MAX_TOKEN_BYTES) throw fail('token too large');
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: ReturnType<typeof decodeJwt>;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      throw fail('token is not a decodable JWT');
    }
    for (const name of Object.keys(header)) if (!ALLOWED_HEADERS.has(name)) throw fail(`token header ${name} is not allowed`);
    const trusted = typeof unverified.iss === 'string' ? this.issuers.get(unverified.iss) : undefined;
    if (trusted === undefined) throw fail('token issuer is not trusted');
    const { config } = trusted;
    if (typeof header.alg !== 'string' || !(config.algorithms as string[]).includes(header.alg)) throw fail(`token alg ${String(header.alg)} is not allowed for this issuer`);

    let payload: Record<string, unknown>;
    try {
      const result = await jwtVerify(token, trusted.keys, {
        issuer: config.issuer,
        audience: config.audiences,
        algorithms: config.algorithms,
        clockTolerance: this.skewSeconds,
        currentDate: new Date(nowMs),
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
        ...(config.max_token_age_seconds === undefined ? {} : { maxTokenAge: config.max_token_age_seconds }),
      });
      payload = result.payload as Record<string, unknown>;
    } catch (err) {
      throw this.explain(err);
    }
    if (typeof payload.iat === 'number' && payload.iat * 1000 > nowMs + this.skewSeconds * 1000) throw fail('token issued in the future');

    const claims = flattenClaims(payload);
    const rule = config.executors.find((r) => claimsSatisfy(claims, r.claims));
    if (rule === undefined) throw fail(`claims of ${config.issuer} token (sub ${claims.sub ?? '?'}) match no executor mapping`);
    return {
      role: 'executor',
      id: rule.executor,
      tenant: rule.tenant,
      tenants: [],
      binding: `oidc:${config.issuer}`,
      // Not a certificate: a digest of the token names this presentation in audit lines without revealing it.
      fingerprint: `oidc:sha256:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`,
      auth: 'oidc',
      claims,
    };
  }

  private explain(err: unknown): GatewayError {
    // The client's own credential expired, not its envelope: say so, or it would re-issue a job for nothing.
    if (err instanceof joseErrors.JWTExpired) {
      return deny('expired', 'tls', 'oidc: identity token expired', 'the workload identity token (OIDC) expired, not the envelope');
    }
    if (err instanceof joseErrors.JWTClaimValidationFailed) return deny('unauthenticated', 'tls', `oidc: token claim ${err.claim} failed: ${err.reason}`);
    if (err instanceof joseErrors.JWKSNoMatchingKey) {
      return deny('unauthenticated', 'tls', 'oidc: no key of the issuer matches the token kid (refetched at most once per jwks_cooldown_seconds)');
    }
    if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid) {
      return new GatewayError('unavailable', { step: 'tls', reason: `oidc: issuer keys unavailable (${err.code})`, cause: err });
    }
    if (err instanceof joseErrors.JOSEError) return deny('unauthenticated', 'tls', `oidc: token rejected (${err.code})`);
    // Discovery or the JWKS fetch failed at the network level: the issuer is unreachable, not the token bad.
    return new GatewayError('unavailable', { step: 'tls', reason: 'oidc: issuer keys could not be fetched', cause: err });
  }
}
