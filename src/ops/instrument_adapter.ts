/**
 * Wraps a mount's (already resilient) adapter with a latency histogram and a span per call. It measures what
 * the resolve waits for: retries and backoff included. The wrapper keeps exactly the capabilities of the adapter
 * it wraps, so a mount without `issue` still has none.
 */
import type { Tracer } from '@opentelemetry/api';
import { AdapterError } from '../../adapters/contract.ts';
import type { ResilientAdapter } from '../../adapters/resilience.ts';
import type { GatewayMetrics } from './metrics.ts';
import { inSpan } from '../tracing/tracing.ts';

/** Returns `adapter` observed under the name `mount`. */
export function instrumentAdapter(mount: string, adapter: ResilientAdapter, metrics: GatewayMetrics, tracer: Tracer | undefined): ResilientAdapter {
  const observe = async <T>(op: string, run: () => Promise<T>): Promise<T> => {
    const end = metrics.adapterDuration.startTimer({ mount, adapter: adapter.kind, op });
    try {
      const result = await inSpan(tracer, `adapter.${op}`, { 'crefgate.mount': mount, 'crefgate.adapter': adapter.kind }, run);
      end({ outcome: 'ok' });
      return result;
    } catch (err) {
      end({ outcome: err instanceof AdapterError ? err.kind : 'error' });
      throw err;
    }
  };

  const wrapped: ResilientAdapter = {
    kind: adapter.kind,
    read: (request) => observe('read', () => adapter.read(request)),
    health: (signal) => adapter.health(signal),
    close: () => adapter.close(),
    breakerState: () => adapter.breakerState(),
  };
  const { issue, renew, revoke } = adapter;
  if (issue !== undefined) wrapped.issue = (request) => observe('issue', () => issue.call(adapter, request));
  if (renew !== undefined) wrapped.renew = (request) => observe('renew', () => renew.call(adapter, request));
  if (revoke !== undefined) wrapped.revoke = (request) => observe('revoke', () => revoke.call(adapter, request));
  const { listIssued } = adapter;
  if (listIssued !== undefined) wrapped.listIssued = (signal) => observe('list', () => listIssued.call(adapter, signal));
  return wrapped;
}
