/**
 * The gateway's audit observer (src/audit/trail/observer.ts), handed to the trail at creation: how long each
 * event takes to become durable, the lease lifecycle counters, and per-sink write latency and lag.
 * Every lease issue, revoke, completion and expiry is recorded as an audit event, so counting acknowledged events
 * counts exactly the leases the log can prove, with no extra hook in the lease code.
 * Lag is the committed events a sink has not acknowledged: a required sink acknowledges every committed batch or
 * nothing commits, so its lag stays 0; a best-effort sink that is down falls behind, and the gauge shows by how much.
 */
import type { AuditObserver, RecordOutcome, SinkWrite } from '../audit/index.ts';
import type { GatewayMetrics } from './metrics.ts';

function countLeases(metrics: GatewayMetrics, event: RecordOutcome['event']): void {
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

/** An observer feeding `metrics`. */
export function auditObserver(metrics: GatewayMetrics): AuditObserver {
  let committed = 0;
  const acked = new Map<string, number>();
  const update = () => {
    for (const [sink, next] of acked) metrics.auditSinkLag.set({ sink }, Math.max(0, committed - next));
  };
  return {
    onRecord(outcome: RecordOutcome) {
      metrics.auditRecordDuration.observe({ outcome: outcome.ok ? 'ok' : 'error' }, outcome.seconds);
      if (outcome.ok) countLeases(metrics, outcome.event);
    },
    onSinkResult(write: SinkWrite) {
      metrics.auditSinkWriteDuration.observe({ sink: write.sink, required: String(write.required), outcome: write.ok ? 'ok' : 'error' }, write.seconds);
      if (!acked.has(write.sink)) acked.set(write.sink, write.firstSeq);
      if (write.ok) acked.set(write.sink, Math.max(acked.get(write.sink)!, write.firstSeq + write.count));
      update();
    },
    onBatch(batch) {
      committed = batch.nextSeq;
      update();
    },
  };
}
