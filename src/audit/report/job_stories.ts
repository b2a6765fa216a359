/**
 * Each job's story, from issuance to the end of its last lease, across every replica's log: what was resolved,
 * renewed and completed, and how each lease ended, including what was done at which backend. Backend revocations
 * name only lease ids, so leases are tied to their job through the resolve that granted them.
 */
import type { ReportEvent } from './read_events.ts';

export interface LeaseStory {
  lease_id: string;
  granted_at?: string | undefined;
  renewals: number;
  /** How the lease ended at the gateway: completed with the job, revoked, expired; undefined while open. */
  ended?: { how: 'job completed' | 'revoked' | 'expired'; at: string; by?: string | undefined } | undefined;
  /** Backend revocation attempts, oldest first. */
  backend: { at: string; origin: string; mount: string; outcome: string; attempts?: number | undefined; reason?: string | undefined; did?: string | undefined }[];
  /** One line: the revocation outcome an auditor asks for. */
  outcome: string;
}

export interface JobStory {
  job_id: string;
  tenant?: string | undefined;
  executor?: string | undefined;
  origins: string[];
  first: string;
  last: string;
  issued: boolean;
  resolves: { granted: number; refused: number };
  renewals: number;
  completed_at?: string | undefined;
  leases: LeaseStory[];
  /** Every event of the job (by index into the report's events), in time order. */
  events: number[];
}

/**
 * Fills in what a line leaves out: the job of lease-only events (backend revocations name only leases; marked
 * `via_lease`), and the tenant and executor of a job's events that do not repeat them (completion), so that a
 * filter on tenant or executor keeps a job's whole story.
 */
export function attributeLeases(events: ReportEvent[]): void {
  const jobOfLease = new Map<string, string>();
  const owners = new Map<string, { tenant?: string | undefined; executor?: string | undefined }>();
  for (const e of events) {
    if (e.job_id === undefined) continue;
    for (const l of e.lease_ids ?? []) if (!jobOfLease.has(l)) jobOfLease.set(l, e.job_id);
    const owner = owners.get(e.job_id) ?? {};
    owner.tenant ??= e.tenant;
    owner.executor ??= e.executor;
    owners.set(e.job_id, owner);
  }
  for (const e of events) {
    if (e.job_id === undefined) {
      const job = (e.lease_ids ?? []).map((l) => jobOfLease.get(l)).find((j) => j !== undefined);
      if (job === undefined) continue;
      e.job_id = job;
      e.via_lease = true;
    }
    const owner = owners.get(e.job_id);
    e.tenant ??= owner?.tenant;
    e.executor ??= owner?.executor;
  }
}

/** The story of every job named in `events` (which must already be attributed and time-ordered). */
export function jobStories(events: ReportEvent[]): JobStory[] {
  const jobs = new Map<string, JobStory>();
  const leases = new Map<string, LeaseStory>();
  const lease = (job: JobStory, id: string): LeaseStory => {
    let story = leases.get(id);
    if (story === undefined) {
      story = { lease_id: id, renewals: 0, backend: [], outcome: '' };
      leases.set(id, story);
      job.leases.push(story);
    }
    return story;
  };
  for (const [index, e] of events.entries()) {
    if (e.job_id === undefined) continue;
    let job = jobs.get(e.job_id);
    if (job === undefined) {
      job = { job_id: e.job_id, origins: [], first: e.time, last: e.time, issued: false, resolves: { granted: 0, refused: 0 }, renewals: 0, leases: [], events: [] };
      jobs.set(e.job_id, job);
    }
    job.tenant ??= e.tenant;
    job.executor ??= e.executor;
    if (!job.origins.includes(e.origin)) job.origins.push(e.origin);
    job.last = e.time;
    job.events.push(index);
    const ids = e.lease_ids ?? [];
    switch (e.action) {
      case 'job.issue':
        if (e.outcome === 'granted') job.issued = true;
        break;
      case 'resolve':
        if (e.outcome === 'granted') {
          job.resolves.granted++;
          for (const id of ids) lease(job, id).granted_at = e.time;
        } else job.resolves.refused++;
        break;
      case 'lease.renew':
        if (e.outcome === 'ok' || e.outcome === 'granted') {
          job.renewals++;
          for (const id of ids) lease(job, id).renewals++;
        }
        break;
      case 'job.complete':
        if (e.outcome === 'ok') job.completed_at ??= e.time;
        for (const id of ids) endLease(lease(job, id), 'job completed', e);
        break;
      case 'lease.revoke':
        if (e.outcome === 'ok') for (const id of ids) endLease(lease(job, id), 'revoked', e);
        break;
      case 'lease.expire':
        for (const id of ids) endLease(lease(job, id), 'expired', e);
        break;
      case 'revocation':
        for (const id of ids) {
          lease(job, id).backend.push({
            at: e.time,
            origin: e.origin,
            mount: typeof e.detail?.mount === 'string' ? e.detail.mount : '?',
            outcome: e.outcome,
            attempts: typeof e.detail?.attempts === 'number' ? e.detail.attempts : undefined,
            reason: e.reason,
            did: facts(e.detail?.backend),
          });
        }
        break;
    }
  }
  for (const story of leases.values()) story.outcome = leaseOutcome(story);
  return [...jobs.values()];
}

function endLease(story: LeaseStory, how: 'job completed' | 'revoked' | 'expired', e: ReportEvent): void {
  story.ended ??= { how, at: e.time, by: e.actor };
}

/** What became of the lease: the last backend attempt decides; a lease with none ended at the gateway only. */
export function leaseOutcome(story: LeaseStory): string {
  const last = story.backend.at(-1);
  const ended = story.ended === undefined ? 'still open at the end of the log' : `${story.ended.how} at ${story.ended.at}`;
  if (last === undefined) return story.ended === undefined ? ended : `${ended}; no backend revocation recorded`;
  const where = `at backend mount ${last.mount} (${last.origin}, ${last.at}${last.attempts === undefined ? '' : `, attempt ${last.attempts}`})`;
  if (last.outcome !== 'ok') return `${ended}; revocation FAILED ${where}${last.reason === undefined ? '' : `: ${last.reason}`}`;
  return `${ended}; revoked ${where}${last.did === undefined ? '' : `: ${last.did}`}`;
}

/** What the backend reported doing (`detail.backend` of a revocation: sessions ended, user dropped…), as `k=v, …`. */
function facts(backend: unknown): string | undefined {
  if (backend === null || typeof backend !== 'object') return typeof backend === 'string' ? backend : undefined;
  const parts = Object.entries(backend as Record<string, unknown>).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length === 0 ? undefined : parts.join(', ');
}
