/**
 * The in-memory state store: the embedded default for a single gateway process. Every method runs to
 * completion without awaiting anything, so each is atomic by construction on Node's single thread.
 */
import type { StateStore } from '../contract.ts';
import { createMemoryCounters, createMemorySets } from './counters.ts';
import { createMemoryExecutors } from './executors.ts';
import { MemoryJobsAndNonces } from './jobs.ts';
import { createMemoryJoinTokens } from './join_tokens.ts';
import { createMemoryLeases } from './leases.ts';
import { createMemoryRevocations } from './revocations.ts';

export interface MemoryStateOptions {
  /** Clock, epoch ms (tests freeze it). */
  now?: () => number;
}

/** Creates an in-memory StateStore. */
export function createMemoryStateStore(options: MemoryStateOptions = {}): StateStore {
  const now = options.now ?? Date.now;
  const revocations = createMemoryRevocations(now);
  // The lease store asks the job map whether a job is closed; the commit writes leases through `insert`.
  let jobCompleted: (jobId: string) => boolean = () => false;
  const leases = createMemoryLeases({ now, jobCompleted: (jobId) => jobCompleted(jobId), enqueueNow: revocations.enqueueNow });
  const executors = createMemoryExecutors();
  const jobsAndNonces = new MemoryJobsAndNonces(now, leases.insert, executors.versionOf);
  jobCompleted = (jobId) => jobsAndNonces.isCompleted(jobId);
  let closed = false;
  return {
    kind: 'memory',
    jobs: jobsAndNonces.jobs,
    nonces: jobsAndNonces.nonces,
    leases: leases.store,
    revocations,
    executors,
    joinTokens: createMemoryJoinTokens(now),
    counters: createMemoryCounters(now),
    sets: createMemorySets(now),
    async health() {
      return closed ? { ok: false, detail: 'closed' } : { ok: true };
    },
    async close() {
      closed = true;
    },
  };
}
