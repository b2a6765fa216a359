/**
 * Request context on the bootstrap listener, where no client certificate is asked for: the only identity is
 * a workload OIDC token in `Authorization: Bearer`, verified here (step 1). No header means no identity, which
 * only the certificate route accepts (it brings its own credential in the body).
 */
import type { Middleware } from 'koa';
import { randomId } from '../crypto/random.ts';
import { deny } from '../errors.ts';
import type { KoaState } from '../http/context.ts';
import type { Identity } from '../identity/identity.ts';
import { claimedTokenAudit } from '../identity/oidc/claimed.ts';
import type { OidcVerifier } from '../identity/oidc/verify_oidc.ts';

/** Sets request id and, when a bearer token is presented, the OIDC identity it proves. */
export function bootstrapContext(oidc: OidcVerifier, now: () => number): Middleware<KoaState> {
  return async (ctx, next) => {
    ctx.state.requestId = randomId('req', 12);
    ctx.state.audit = { action: 'request' };
    ctx.set('x-request-id', ctx.state.requestId);
    ctx.set('cache-control', 'no-store');
    const header = ctx.get('authorization');
    if (header !== '') {
      const match = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/.exec(header);
      if (match === null) throw deny('unauthenticated', 'tls', 'authorization header is not a bearer token');
      if (!oidc.enabled) throw deny('unauthenticated', 'tls', 'no OIDC issuer is configured');
      ctx.state.identity = await verifyAudited(oidc, ctx.state, match[1]!, now());
    }
    await next();
  };
}

/**
 * Verifies a workload token; when it is refused, the denial's audit line names what the token claimed (issuer,
 * subject: unverified, labelled so) and its keyed digest, instead of an anonymous actor.
 */
export async function verifyAudited(oidc: OidcVerifier, state: KoaState, token: string, nowMs: number): Promise<Identity> {
  try {
    return await oidc.verify(token, nowMs);
  } catch (err) {
    const claimed = claimedTokenAudit(token);
    state.claimedActor = claimed.actor;
    state.audit.sensitive = { ...state.audit.sensitive, ...claimed.sensitive };
    state.audit.detail = { ...state.audit.detail, ...claimed.detail };
    throw err;
  }
}

/** Refuses a request that reached an identity-only route without a verified workload token. */
export const requireWorkload: Middleware<KoaState> = async (ctx, next) => {
  if (ctx.state.identity === undefined) throw deny('unauthenticated', 'tls', 'no bearer token on the bootstrap listener');
  await next();
};
