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
 * Written with one promise and one timer rather than Promise.race, which allocated three more per operation on
 * the resolve path (four operations per resolve).
 */
export function guarded<T>(op: string, deadlineMs: number, work: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StateUnavailableError(`${op}: no answer within ${deadlineMs} ms`)), deadlineMs);
    let attempt: Promise<T>;
    try {
      attempt = work();
    } catch (err) {
      clearTimeout(timer);
      reject(toStateError(op, err));
      return;
    }
    // After the deadline the promise is already settled: a late answer or failure of `work` is ignored here.
    attempt.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(toStateError(op, err));
      },
    );
  });
}
