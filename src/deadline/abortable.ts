/**
 * Cancellation helpers. Hot paths use these instead of `AbortSignal.timeout` and `AbortSignal.any`: those keep
 * a timer, weak references and a finalization-registry entry alive for the whole timeout (60 s per resolve),
 * which promoted every request's objects into V8's old space and made the heap grow to several times its live
 * size (measured with `npm run bench -- --heap-profile`). Here the timer is cleared and the link to the parent
 * signal removed as soon as the work settles.
 */

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {}); // the abandoned call's own failure is not interesting any more
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Runs `work` with a signal that aborts after `ms` with `reason()`, or when `parent` aborts (with its reason).
 * Timer and parent listener are gone once `work` settles.
 */
export async function withDeadline<T>(ms: number, reason: () => unknown, work: (signal: AbortSignal) => Promise<T>, parent?: AbortSignal): Promise<T> {
  const controller = new AbortController();
  const onParentAbort = (): void => controller.abort(parent!.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  const timer = setTimeout(() => controller.abort(reason()), ms);
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParentAbort);
  }
}
