/** In-memory jobs and nonces. Single-threaded JavaScript makes every method atomic by construction. */
import { GatewayError } from '../../errors.ts';
import type { CommitOutcome, CommitRequest, JobRecord, JobStore, LeaseRecord, NonceStore, ReserveOutcome } from '../contract.ts';
import { JOB_RETENTION_SLACK_MS, nonceTtlMs } from '../retention.ts';

interface NonceEntry {
  owner: string;
  consumed: boolean;
  /** Epoch ms after which the nonce is forgotten. */
  keepUntil: number;
}

/** How often (store clock) the maps are swept of forgotten entries; reads also check expiry themselves. */
const SWEEP_EVERY_MS = 60_000;

/** Jobs and the nonces burned against them, kept in two maps with lazy expiry. */
export class MemoryJobsAndNonces {
  readonly jobs: JobStore;
  readonly nonces: NonceStore;
  private readonly jobMap = new Map<string, JobRecord>();
  private readonly nonceMap = new Map<string, NonceEntry>();
  private readonly now: () => number;
  private readonly insertLeases: (batch: LeaseRecord[]) => void;
  private readonly executorVersion: (id: string) => number | undefined;
  private nextSweepAt = 0;

  /**
   * `insertLeases` records leases synchronously (the memory lease store), so the commit is one step;
   * `executorVersion` reads the registry synchronously, so reserveFor is one step too.
   */
  constructor(now: () => number, insertLeases: (batch: LeaseRecord[]) => void, executorVersion: (id: string) => number | undefined) {
    this.now = now;
    this.insertLeases = insertLeases;
    this.executorVersion = executorVersion;
    this.jobs = {
      create: async (job) => this.createJob(job),
      get: async (jobId) => this.copyOf(this.liveJob(jobId)),
      complete: async (jobId, at) => this.completeJob(jobId, at),
    };
    this.nonces = {
      reserve: async (nonceKey, jobId, owner, retainUntil) => this.reserve(nonceKey, jobId, owner, retainUntil),
      reserveFor: async ({ nonceKey, jobId, owner, retainUntil, executorId }) => ({
        outcome: this.reserve(nonceKey, jobId, owner, retainUntil),
        executorVersion: this.executorVersion(executorId),
      }),
      readsExecutorVersion: true,
      // The lease map is every index (leases.prepare does nothing here).
      commitIndexesLeases: true,
      // One map holds every nonce here, so the job id (which places a nonce in Redis Cluster) is not needed.
      commit: async (request) => this.commit(request),
      release: async (nonceKey, _jobId, owner) => this.release(nonceKey, owner),
      revertConsume: async (nonceKey, _jobId, owner) => this.revertConsume(nonceKey, owner),
    };
  }

  private createJob(job: JobRecord): void {
    this.sweepIfDue();
    // Overwriting would reopen a completed job, so a second create with the same id is a conflict.
    if (this.liveJob(job.jobId) !== undefined) {
      throw new GatewayError('conflict', { reason: `job ${job.jobId} already exists` });
    }
    this.jobMap.set(job.jobId, { ...job, crefs: { ...job.crefs } });
  }

  private completeJob(jobId: string, at: number): JobRecord | undefined {
    const job = this.liveJob(jobId);
    if (job === undefined) return undefined;
    job.completedAt ??= at;
    return this.copyOf(job);
  }

  private reserve(nonceKey: string, jobId: string, owner: string, retainUntil: number): ReserveOutcome {
    this.sweepIfDue();
    const job = this.liveJob(jobId);
    if (job === undefined) return 'job_unknown';
    if (job.completedAt !== undefined) return 'job_completed';
    if (this.liveNonce(nonceKey) !== undefined) return 'replayed';
    const now = this.now();
    this.nonceMap.set(nonceKey, { owner, consumed: false, keepUntil: now + nonceTtlMs(retainUntil, now) });
    return 'reserved';
  }

  /** True when the job is known and completed. */
  isCompleted(jobId: string): boolean {
    return this.liveJob(jobId)?.completedAt !== undefined;
  }

  // Checks, then writes, with no await in between: the memory form of the one commit script.
  private commit({ nonceKey, jobId, owner, retainUntil, leases }: CommitRequest): CommitOutcome {
    const entry = this.liveNonce(nonceKey);
    if (entry?.owner === owner && entry.consumed) return 'committed';
    const job = this.liveJob(jobId);
    if (job === undefined) return 'job_unknown';
    if (job.completedAt !== undefined) return 'job_completed';
    if (entry === undefined || entry.owner !== owner) return 'not_held';
    this.insertLeases(leases);
    entry.consumed = true;
    entry.keepUntil = Math.max(entry.keepUntil, retainUntil);
    return 'committed';
  }

  private revertConsume(nonceKey: string, owner: string): void {
    if (this.nonceMap.get(nonceKey)?.owner === owner) this.nonceMap.delete(nonceKey);
  }

  private release(nonceKey: string, owner: string): void {
    const entry = this.liveNonce(nonceKey);
    // A consumed nonce is never released: that would turn a committed envelope into a replayable one.
    if (entry !== undefined && entry.owner === owner && !entry.consumed) this.nonceMap.delete(nonceKey);
  }

  private liveJob(jobId: string): JobRecord | undefined {
    const job = this.jobMap.get(jobId);
    if (job !== undefined && job.expiresAt + JOB_RETENTION_SLACK_MS <= this.now()) {
      this.jobMap.delete(jobId);
      return undefined;
    }
    return job;
  }

  private liveNonce(nonceKey: string): NonceEntry | undefined {
    const entry = this.nonceMap.get(nonceKey);
    if (entry !== undefined && entry.keepUntil <= this.now()) {
      this.nonceMap.delete(nonceKey);
      return undefined;
    }
    return entry;
  }

  private copyOf(job: JobRecord | undefined): JobRecord | undefined {
    return job === undefined ? undefined : { ...job, crefs: { ...job.crefs } };
  }

  /** Drops forgotten entries now and then so that a long-running process does not grow without bound. */
  private sweepIfDue(): void {
    const now = this.now();
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + SWEEP_EVERY_MS;
    for (const id of this.jobMap.keys()) this.liveJob(id);
    for (const key of this.nonceMap.keys()) this.liveNonce(key);
  }
}
