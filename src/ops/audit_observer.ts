/**
 * Turns the audit trail's commit observations into per-sink metrics: write latency, and lag (committed events a
 * sink has not acknowledged). A required sink acknowledges every committed batch or nothing commits, so its lag
 * stays 0; a best-effort sink that is down falls behind, and the gauge shows by how much.
 */
import type { CommitObserver, SinkWrite } from '../audit/trail/group_commit.ts';
import type { GatewayMetrics } from './metrics.ts';

export type { CommitObserver } from '../audit/trail/group_commit.ts';

/** An observer feeding `metrics`. */
export function sinkObserver(metrics: GatewayMetrics): CommitObserver {
  let committed = 0;
  const acked = new Map<string, number>();
  const update = () => {
    for (const [sink, next] of acked) metrics.auditSinkLag.set({ sink }, Math.max(0, committed - next));
  };
  return {
    sinkWrite(write: SinkWrite) {
      metrics.auditSinkWriteDuration.observe({ sink: write.sink, required: String(write.required), outcome: write.ok ? 'ok' : 'error' }, write.seconds);
      if (!acked.has(write.sink)) acked.set(write.sink, write.firstSeq);
      if (write.ok) acked.set(write.sink, Math.max(acked.get(write.sink)!, write.firstSeq + write.count));
      update();
    },
    committed(nextSeq: number) {
      committed = nextSeq;
      update();
    },
  };
}
