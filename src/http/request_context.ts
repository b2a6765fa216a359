/** Gives each request an id (echoed in `x-request-id`) and its TLS identity (step 1 of every route). */
import type { Middleware } from 'koa';
import type { TLSSocket } from 'node:tls';
import { randomId } from '../crypto/random.ts';
import type { IdentityMapper } from '../identity/identity.ts';
import type { KoaState } from './context.ts';

export function requestContext(identities: IdentityMapper): Middleware<KoaState> {
  return async (ctx, next) => {
    ctx.state.requestId = randomId('req', 12);
    ctx.state.audit = { action: 'request' };
    ctx.set('x-request-id', ctx.state.requestId);
    ctx.set('cache-control', 'no-store');
    ctx.state.identity = identities.identify(ctx.req.socket as TLSSocket);
    await next();
  };
}
