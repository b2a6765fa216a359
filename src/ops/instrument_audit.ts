/**
 * Observes the audit trail from the outside: how long each event takes to become durable, and the lease
 * lifecycle counters. Every lease issue, revoke, completion and expiry is recorded as an audit event, so counting
 * acknowledged events counts exactly the leases the log can prove, with no extra hook in the lease code.
 * A Proxy keeps everything else the trail offers (the stream route's `subscribe`, `origin`…) as it is.
 */
import type { AuditEventInput, AuditTrail } from '../audit/contract.ts';
import type { GatewayMetrics } from './metrics.ts';

function countLeases(metrics: GatewayMetrics, event: AuditEventInput): void {
  const leases = event.lease_ids?.length ?? 0;
  switch (event.action) {
    case 'resolve':
      if (event.outcome === 'granted') metrics.leasesIssued.inc(leases);
      break;
    case 'lease.revoke':
      if (event.outcome === 'ok' && event.detail?.already_ended !== true) metrics.leasesEnded.inc({ cause: 'revoked' }, leases);
      break;
    case 'job.complete':
      if (event.outcome === 'ok') metrics.leasesEnded.inc({ cause: 'job_completed' }, leases);
      break;
    case 'lease.expire':
      metrics.leasesEnded.inc({ cause: 'expired' }, leases);
      break;
    case 'revocation':
      metrics.revocations.inc({ outcome: event.outcome === 'ok' ? 'ok' : 'retry' });
      break;
    default:
      break;
  }
}

/** The same trail, with `record` timed and counted. */
export function instrumentAudit<T extends AuditTrail>(trail: T, metrics: GatewayMetrics): T {
  const record = async (event: AuditEventInput) => {
    const end = metrics.auditRecordDuration.startTimer();
    try {
      const receipt = await trail.record(event);
      end({ outcome: 'ok' });
      countLeases(metrics, event);
      return receipt;
    } catch (err) {
      end({ outcome: 'error' });
      throw err;
    }
  };
  return new Proxy(trail, {
    get(target, key, receiver) {
      if (key === 'record') return record;
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
