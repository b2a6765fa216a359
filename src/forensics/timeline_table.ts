/** Renders a timeline as a fixed-width table, one event a row: what happened, where, to what, and why. */
import type { TimelineEvent } from './timeline.ts';

function what(event: TimelineEvent): string {
  const parts: string[] = [];
  if (typeof event.code === 'string') parts.push(`${event.code}@${typeof event.step === 'string' ? event.step : '-'}`);
  const detail = (event.detail ?? {}) as Record<string, unknown>;
  if (event.action === 'alert' && typeof detail.signal === 'string') parts.push(`signal=${detail.signal} ${String(detail.subject_kind)}=${String(detail.subject)}`);
  else if (typeof event.reason === 'string' && event.reason !== event.code) parts.push(event.reason);
  if (event.crefs !== undefined && event.crefs.length > 0) parts.push(event.crefs.join(','));
  if (event.lease_ids !== undefined && event.lease_ids.length > 0) parts.push(`leases=${event.lease_ids.join(',')}`);
  return parts.join(' ');
}

/** The table, header first. */
export function timelineTable(events: TimelineEvent[]): string[] {
  const rows = events.map((e) => [
    e.time,
    `${e.origin}#${e.seq}`,
    e.action,
    e.outcome,
    `${e.actor?.type ?? '?'}:${e.actor?.id ?? '?'}`,
    e.job_id ?? '-',
    what(e),
  ]);
  const header = ['TIME', 'LOG#SEQ', 'ACTION', 'OUTCOME', 'ACTOR', 'JOB', 'WHAT'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
