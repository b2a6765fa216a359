/**
 * Fail-closed wrapper for every Redis operation: whatever goes wrong on the way to Redis (connection refused,
 * offline, command timeout, failover in progress) becomes a StateUnavailableError within a bounded time.
 */
import { GatewayError } from '../../errors.ts';
import { StateUnavailableError } from '../contract.ts';

/**
 * Replies that mean "Redis cannot serve right now", as opposed to a bug in a command. MOVED and ASK reach us only
 * when a slot moved more often than the client follows redirections (a migration or failover in progress): the
 * same operation succeeds once the slot settles, so they are transient too.
 */
const TRANSIENT_REPLIES = /^(LOADING|BUSY|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|MOVED|ASK|NOREPLICAS|NOAUTH|WRONGPASS|MISCONF|OOM)\b/;

/** True for an error reply from the server (not a connection or client-side failure). */
export function isReplyError(err: unknown): err is Error {
  return err instanceof Error && err.name === 'ReplyError';
}

/** Maps anything thrown by ioredis to a GatewayError: unavailable unless Redis refused a command we sent. */
export function toStateError(op: string, err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (isReplyError(err) && !TRANSIENT_REPLIES.test(err.message)) {
    return new GatewayError('internal', { reason: `state store: ${op}: redis refused the command`, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new StateUnavailableError(`${op}: ${message}`, err);
}

interface Pending {
  /** performance.now() after which the operation is given up (monotonic: a wall-clock step moves no deadline). */
  at: number;
  settled: boolean;
  expire: () => void;
}

/**
 * The pending operations of one deadline length, in the order they started, which is also the order of their
 * deadlines: one timer, armed for the oldest unsettled operation, serves them all. A settled operation is only
 * flagged (removed when the timer reaches it, or all at once when none is left), so start and settle are O(1)
 * and allocate one small object instead of a Timeout each. The timer is cleared when nothing is pending, so an
 * idle store holds no timer.
 */
class DeadlineQueue {
  private entries: Pending[] = [];
  private head = 0;
  private live = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly fire = (): void => this.expireDue();

  private readonly ms: number;

  constructor(ms: number) {
    this.ms = ms;
  }

  add(expire: () => void): Pending {
    const entry: Pending = { at: performance.now() + this.ms, settled: false, expire };
    this.entries.push(entry);
    this.live++;
    this.timer ??= setTimeout(this.fire, this.ms);
    return entry;
  }

  /** Marks `entry` done; true if it was still pending (its deadline had not passed). */
  settle(entry: Pending): boolean {
    if (entry.settled) return false;
    entry.settled = true;
    if (--this.live === 0) this.reset();
    return true;
  }

  private reset(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.entries = [];
    this.head = 0;
  }

  private expireDue(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head]!;
      if (!entry.settled && entry.at > now) break;
      this.head++;
      if (this.settle(entry)) entry.expire();
      if (this.live === 0) return; // settle() reset the queue
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    const next = this.entries[this.head];
    if (next !== undefined) this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(next.at - now)));
  }
}

const queues = new Map<number, DeadlineQueue>();

/**
 * Runs one store operation under a deadline: it settles with the operation's answer, or with
 * StateUnavailableError once `deadlineMs` have passed, whichever comes first. ioredis already bounds each command
 * by `commandTimeout`; the deadline also bounds operations made of several commands, and anything ioredis might
 * wait on internally (a Cluster slot refresh, a redirection). The deadline is kept by a DeadlineQueue shared by
 * all operations of the same length (one timer, not one per operation); it never fires early, and late by at
 * most the event loop's own timer lateness.
 */
export function guarded<T>(op: string, deadlineMs: number, work: () => Promise<T>): Promise<T> {
  let queue = queues.get(deadlineMs);
  if (queue === undefined) {
    queue = new DeadlineQueue(deadlineMs);
    queues.set(deadlineMs, queue);
  }
  const deadlines = queue;
  return new Promise<T>((resolve, reject) => {
    const pending = deadlines.add(() => reject(new StateUnavailableError(`${op}: no answer within ${deadlineMs} ms`)));
    let attempt: Promise<T>;
    try {
      attempt = work();
    } catch (err) {
      deadlines.settle(pending);
      reject(toStateError(op, err));
      return;
    }
    // After the deadline the promise is already settled: a late answer or failure of `work` is ignored here.
    attempt.then(
      (value) => {
        if (deadlines.settle(pending)) resolve(value);
      },
      (err: unknown) => {
        if (deadlines.settle(pending)) reject(toStateError(op, err));
      },
    );
  });
}
