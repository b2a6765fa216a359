/**
 * The one place where errors become HTTP responses. A GatewayError answers with its status and
 * `{error: {code, message, request_id}}`; anything else is an internal error whose details go to the log only.
 * No stack trace, backend text or secret ever reaches the client.
 */
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { asGatewayError } from '../errors.ts';
import { describeError } from '../log.ts';
import type { KoaState } from './context.ts';

export function errorMiddleware(logger: Logger): Middleware<KoaState> {
  return async (ctx, next) => {
    try {
      await next();
    } catch (thrown) {
      const err = asGatewayError(thrown);
      if (err.code === 'internal' || err.status >= 500) {
        // Never the raw error: SDK errors carry request headers (tokens). A stack only for our own bugs.
        const error = describeError(err.cause ?? thrown, err.code === 'internal');
        logger.error({ request_id: ctx.state.requestId, code: err.code, step: err.step, reason: err.reason, error }, 'request failed');
      }
      ctx.status = err.status;
      if (err.retryAfter !== undefined) ctx.set('retry-after', String(Math.ceil(err.retryAfter)));
      ctx.body = { error: { code: err.code, message: err.publicMessage, request_id: ctx.state.requestId } };
    }
  };
}
