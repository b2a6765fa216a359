/**
 * A grpc-js client interceptor that cancels the call when an AbortSignal fires. The Secret Manager client
 * wraps gax's cancellable promise in a plain one, so `cancel()` is out of reach; per-call interceptors are
 * the supported way to reach the underlying gRPC call (gax hands `otherArgs.options` to grpc-js).
 */
import type * as Grpc from '@grpc/grpc-js';

/** Interceptor that cancels its call with CANCELLED when `signal` aborts. */
export function cancelOnAbort(grpc: typeof Grpc, signal: AbortSignal): Grpc.Interceptor {
  return (options, nextCall) => {
    let onAbort = (): void => undefined;
    const call = new grpc.InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            signal.removeEventListener('abort', onAbort);
            nextStatus(status);
          },
        });
      },
    });
    onAbort = () => call.cancelWithStatus(grpc.status.CANCELLED, 'request aborted by crefgate');
    signal.addEventListener('abort', onAbort, { once: true });
    return call;
  };
}
