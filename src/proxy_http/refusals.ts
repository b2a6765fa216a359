/**
 * A refusal the proxy fast path hands to Koa: the error and what the denial auditor should know (lease, tenant,
 * job…), keyed by the request itself so that it can only be picked up by that request's own pass through Koa.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestState } from '../http/context.ts';

export interface Refusal {
  error: unknown;
  audit: RequestState['audit'];
}

const refusals = new WeakMap<IncomingMessage, Refusal>();

/** Leaves a refusal for the proxy route to throw when Koa serves this request. */
export function leaveRefusal(req: IncomingMessage, refusal: Refusal): void {
  refusals.set(req, refusal);
}

/** The refusal left for this request, if any (taken once). */
export function takeRefusal(req: IncomingMessage): Refusal | undefined {
  const refusal = refusals.get(req);
  if (refusal !== undefined) refusals.delete(req);
  return refusal;
}
