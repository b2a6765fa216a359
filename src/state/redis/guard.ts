/**
 * Fail-closed wrapper for every Redis operation: whatever goes wrong on the way to Redis (connection refused,
 * offline, command timeout, failover in progress) becomes a StateUnavailableError within a bounded time.
 */
import { GatewayError } from '../../errors.ts';
import { StateUnavailableError } from '../contract.ts';

/** Replies that mean "Redis cannot serve right now", as opposed to a bug in a command. */
const TRANSIENT_REPLIES = /^(LOADING|BUSY|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|NOAUTH|WRONGPASS|MISCONF|OOM)\b/;

/** True for an error reply from the server (not a connection or client-side failure). */
export function isReplyError(err: unknown): err is Error {
  return err instanceof Error && err.name === 'ReplyError';
}

/** Maps anything thrown by ioredis to a GatewayError: unavailable unless Redis refused a command we sent. */
export function toStateError(op: string, err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (isReplyError(err) && !TRANSIENT_REPLIES.test(err.message)) {
    return new GatewayError('internal', { reason: `state store: ${op}: redis refused the command`, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new StateUnavailableError(`${op}: ${message}`, err);
}

/**
 * Runs one store operation under a deadline. ioredis already bounds each command by `commandTimeout`; the
 * deadline also bounds operations made of several commands, and anything ioredis might wait on internally.
 */
export async function guarded<T>(op: string, deadlineMs: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const attempt = work();
  // The losing side of the race must not surface later as an unhandled rejection.
  attempt.catch(() => undefined);
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StateUnavailableError(`${op}: no answer within ${deadlineMs} ms`)), deadlineMs);
  });
  try {
    return await Promise.race([attempt, deadline]);
  } catch (err) {
    throw toStateError(op, err);
  } finally {
    clearTimeout(timer);
  }
}
