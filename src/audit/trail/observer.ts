/**
 * The one hook into the audit trail from the outside: metrics (src/ops/audit_observer.ts, handed to
 * `createAuditTrail` at construction), and the signal detector, the proxy's lease gate and the alert outlets
 * (registered later with `AuditTrail.observe`, since they record on the trail themselves). Observers are called
 * with typed facts, instead of wrapping the trail in a Proxy or probing objects for members: what an observer
 * sees is written down in the contract (../contract.ts), and nothing else reaches it.
 * Observers must not throw; the trail guards each call anyway, so a faulty observer never turns a durable event
 * into a refused one (or the other way round).
 */
import type { AuditEventInput, AuditObserver, AuditObserverPart, AuditReceipt, AuditTrail, BatchCommitted, RecordOutcome, SinkWrite } from '../contract.ts';

export type { AuditObserver, AuditObserverPart, BatchCommitted, RecordOutcome, SinkWrite } from '../contract.ts';

/** Calls `fn`, reporting (never rethrowing) what an observer threw. */
export function observeSafely(notice: (message: string) => void, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    notice(`audit observer failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The observers of one trail: the one handed in at construction plus those registered later with
 * `AuditTrail.observe` (the detector, the proxy's lease gate, the alert outlets: they need the trail to exist
 * first, since they record on it). Each call goes to every observer, each guarded on its own.
 */
export class AuditObservers implements AuditObserver {
  private readonly parts = new Set<AuditObserverPart>();
  private readonly notice: (message: string) => void;

  constructor(notice: (message: string) => void) {
    this.notice = notice;
  }

  /** Whether nobody listens (the record path then skips timing and copying). */
  get empty(): boolean {
    return this.parts.size === 0;
  }

  /** Registers an observer; returns the function that removes it again. */
  add(part: AuditObserverPart): () => void {
    // A fresh wrapper per registration, so the same observer added twice is removed one at a time.
    const entry: AuditObserverPart = { ...part };
    this.parts.add(entry);
    return () => void this.parts.delete(entry);
  }

  onRecord(outcome: RecordOutcome): void {
    for (const o of this.parts) if (o.onRecord !== undefined) observeSafely(this.notice, () => o.onRecord!(outcome));
  }

  onSinkResult(write: SinkWrite): void {
    for (const o of this.parts) if (o.onSinkResult !== undefined) observeSafely(this.notice, () => o.onSinkResult!(write));
  }

  onBatch(batch: BatchCommitted): void {
    for (const o of this.parts) if (o.onBatch !== undefined) observeSafely(this.notice, () => o.onBatch!(batch));
  }
}

/**
 * `append` with the observers told of its outcome once it settles: the event without `sensitive`, durable or
 * refused. The observers run after the outcome is fixed and their throws are swallowed, so none can change it.
 */
export function observedRecord(observers: AuditObservers, append: (event: AuditEventInput) => Promise<AuditReceipt>): (event: AuditEventInput) => Promise<AuditReceipt> {
  return (event) => {
    if (observers.empty) return append(event);
    const started = performance.now();
    const settle = (ok: boolean, receipt?: AuditReceipt) => {
      const { sensitive: _clear, ...seen } = event;
      observers.onRecord({ event: seen, ok, receipt, seconds: (performance.now() - started) / 1000 });
    };
    return append(event).then(
      (receipt) => {
        settle(true, receipt);
        return receipt;
      },
      (err: unknown) => {
        settle(false);
        throw err;
      },
    );
  };
}

/**
 * Gives a trail that has no observers of its own (an embedder's, a test's) the `observe` hook: its records are
 * reported like the built-in trail's. The batch and sink facts stay the inner trail's business.
 */
export function observableTrail(inner: Omit<AuditTrail, 'observe'>, notice: (message: string) => void = () => undefined): AuditTrail {
  const observers = new AuditObservers(notice);
  return {
    record: observedRecord(observers, (event) => inner.record(event)),
    hash: (tenant, value) => inner.hash(tenant, value),
    health: () => inner.health(),
    close: () => inner.close(),
    observe: (observer) => observers.add(observer),
  };
}
