/**
 * Whether a proxied request may go out, and the cut-off of those already out. Every new request reads its lease
 * and job from the state store (so every replica sees a completion or revocation at once for new requests). In-flight
 * exchanges are aborted when the lease ends: at once when this replica records the completion, revocation or expiry
 * (it observes its own audit trail through the typed hook, src/audit/trail/observer.ts), and within `check_interval_ms` when another replica does (a periodic re-read of
 * the leases that have exchanges in flight) or when the lease simply runs out.
 */
import type { AuditEventInput } from '../audit/contract.ts';
import type { AuditObserverPart } from '../audit/trail/observer.ts';
import { deny } from '../errors.ts';
import type { Identity } from '../identity/identity.ts';
import type { JobRecord, LeaseRecord, StateStore } from '../state/contract.ts';

export interface Admitted {
  lease: LeaseRecord;
  job: JobRecord;
}

interface InFlight {
  jobId: string;
  expiresAt: number;
  controllers: Set<AbortController>;
}

export class LeaseGate {
  private readonly inFlight = new Map<string, InFlight>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  private readonly state: StateStore;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private readonly onCutOff: (leaseId: string) => void;

  constructor(state: StateStore, now: () => number, intervalMs: number, onCutOff: (leaseId: string) => void) {
    this.state = state;
    this.now = now;
    this.intervalMs = intervalMs;
    this.onCutOff = onCutOff;
  }

  /** The lease, if it is active, this executor's, and its job open; otherwise the typed refusal. */
  async admit(identity: Identity, leaseId: string): Promise<Admitted> {
    const lease = await this.state.leases.get(leaseId);
    if (lease === undefined) throw deny('not_found', 'proxy', 'no such lease');
    if (identity.role !== 'executor' || identity.id !== lease.executor || (identity.tenant !== undefined && identity.tenant !== lease.tenant)) {
      throw deny('forbidden', 'proxy', `lease ${leaseId} belongs to another executor`);
    }
    const job = await this.state.jobs.get(lease.jobId);
    const ended = this.endedWhy(lease, job);
    if (ended !== undefined) throw deny('expired', 'proxy', ended);
    return { lease, job: job! };
  }

  /** Registers an exchange; its controller is aborted at cut-off. Returns the function that unregisters it. */
  track(lease: LeaseRecord, controller: AbortController): () => void {
    let entry = this.inFlight.get(lease.leaseId);
    if (entry === undefined) {
      entry = { jobId: lease.jobId, expiresAt: lease.expiresAt, controllers: new Set() };
      this.inFlight.set(lease.leaseId, entry);
    }
    entry.expiresAt = Math.max(entry.expiresAt, lease.expiresAt);
    entry.controllers.add(controller);
    this.timer ??= setInterval(() => void this.check(), this.intervalMs).unref();
    return () => {
      entry.controllers.delete(controller);
      if (entry.controllers.size === 0 && this.inFlight.get(lease.leaseId) === entry) this.inFlight.delete(lease.leaseId);
      if (this.inFlight.size === 0 && this.timer !== undefined) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** Aborts every exchange of the lease and forgets its credential. */
  cutOff(leaseId: string, why: string): void {
    this.onCutOff(leaseId);
    const entry = this.inFlight.get(leaseId);
    if (entry === undefined) return;
    for (const controller of entry.controllers) controller.abort(deny('expired', 'proxy', why));
  }

  /**
   * The observer to register on the trail (`trail.observe`): the completions, revocations and expiries this
   * replica records cut their leases off at once. Durable or refused alike: the state change was made before the
   * event was recorded, and cutting an exchange off is the safe side either way.
   */
  observer(): AuditObserverPart {
    const onEvent = (event: Omit<AuditEventInput, 'sensitive'>) => {
      if (event.action === 'job.complete' && event.outcome === 'ok' && event.job_id !== undefined) {
        for (const [leaseId, entry] of this.inFlight) if (entry.jobId === event.job_id) this.cutOff(leaseId, 'the job was completed');
      }
      if ((event.action === 'job.complete' || event.action === 'lease.revoke' || event.action === 'lease.expire') && event.outcome === 'ok') {
        for (const leaseId of event.lease_ids ?? []) this.cutOff(leaseId, `lease ended (${event.action})`);
      }
    };
    return { onRecord: (outcome) => onEvent(outcome.event) };
  }

  /** Re-reads the leases with exchanges in flight; ends those whose lease or job ended (on any replica). */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const [leaseId, entry] of [...this.inFlight]) {
        const lease = await this.state.leases.get(leaseId);
        const job = lease === undefined ? undefined : await this.state.jobs.get(entry.jobId);
        const ended = lease === undefined ? 'lease is gone' : this.endedWhy(lease, job);
        if (ended !== undefined) this.cutOff(leaseId, ended);
        else entry.expiresAt = lease!.expiresAt;
      }
    } catch {
      // State store unreachable: fail closed for what is in flight; new requests are refused by admit().
      for (const leaseId of [...this.inFlight.keys()]) this.cutOff(leaseId, 'state store unreachable during the lease check');
    } finally {
      this.checking = false;
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const leaseId of [...this.inFlight.keys()]) this.cutOff(leaseId, 'gateway shutting down');
  }

  private endedWhy(lease: LeaseRecord, job: JobRecord | undefined): string | undefined {
    if (job === undefined) return 'the job of this lease has ended';
    if (job.completedAt !== undefined) return 'the job was completed';
    if (lease.state !== 'active') return `lease is ${lease.state}`;
    if (lease.expiresAt <= this.now() || job.expiresAt <= this.now()) return 'lease is expired';
    return undefined;
  }
}
