/**
 * The store epoch: noticing a Redis that lost its data. A replica promoted before its first sync, a restart
 * without persistence, a FLUSHALL or an evicting maxmemory policy leave an empty store that answers every
 * question with "unknown" — and an empty store turns every resolve into 401 and every issuance into 403 while
 * forgetting burned nonces, leases and the revocation queue. So:
 *
 * - at start-up a random epoch id is written with SET NX (the first replica on a fresh store writes it, the
 *   others adopt it), and a beat counter is INCRed;
 * - `verify` reads the id and INCRs the beat in one script: a different or missing id is a wiped store, a beat not
 *   above the highest this process saw is a store rolled back to an older copy (a replica that lagged);
 * - it runs in the background every `intervalMs`, from health(), and on every answer that would lead to an
 *   authentication or authorization denial (index.ts decorates the sub-stores for that);
 * - once lost, every operation fails closed with StateUnavailableError (503, never 401/403) and health() fails;
 *   after `holdMs` the recovery hooks run (the gateway re-seeds config executors and reports what was lost), and
 *   only then is a new epoch adopted.
 */
import { randomBytes } from 'node:crypto';
import { StateUnavailableError } from '../contract.ts';
import { lua, runScript, type RedisCaller } from './script.ts';

/** KEYS: id, beat. ARGV: the id to write if none. Returns [id, beat]. Both keys share one hash tag (Cluster). */
const ADOPT = lua(`
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return {redis.call('GET', KEYS[1]), redis.call('INCR', KEYS[2])}`);

/**
 * After a loss: KEYS: id, beat. ARGV: a fresh id, the lost id. The first replica to recover replaces the lost (or
 * missing) id, so every other replica sees the id change and handles the loss too, even when the id itself
 * survived (a rollback, a wiped Cluster shard); later ones adopt what it wrote. Returns [id, beat].
 */
const RENEW = lua(`
local cur = redis.call('GET', KEYS[1])
if (not cur) or cur == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1])
  cur = ARGV[1]
end
return {cur, redis.call('INCR', KEYS[2])}`);

/** KEYS: id, beat. Returns [id or false, beat]. */
const CHECK = lua(`
return {redis.call('GET', KEYS[1]), redis.call('INCR', KEYS[2])}`);

export interface EpochLoss {
  /** `wiped` (the id is gone or different) or `rolled_back` (the beat went backwards). */
  kind: 'wiped' | 'rolled_back';
  /** The epoch this process served under. */
  lostEpoch: string;
  /** What the store held instead (null: nothing). */
  found: string | null;
  at: number;
}

/** Runs after `holdMs` with the store still closed to requests; the new epoch is adopted once every hook resolved. */
export type RecoveryHook = (loss: EpochLoss) => Promise<void>;
export type LossListener = (loss: EpochLoss) => void;

export interface EpochOptions {
  prefix: string;
  intervalMs: number;
  holdMs: number;
  now: () => number;
  /** Bounds one check (the store's guard). */
  guard: <T>(op: string, work: () => Promise<T>) => Promise<T>;
  /** Cluster: one more key per master holding the epoch id (epoch_shards.ts), checked with the main one. */
  shardKeys?: string[] | undefined;
}

export class StoreEpoch {
  private readonly keys: [string, string];
  private epoch = '';
  private beat = 0;
  private loss: EpochLoss | undefined;
  private recovering: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: LossListener[] = [];
  private readonly hooks: RecoveryHook[] = [];
  /** How many losses this process noticed (metrics). */
  losses = 0;

  private readonly caller: RedisCaller;
  private readonly options: EpochOptions;

  constructor(caller: RedisCaller, options: EpochOptions) {
    this.caller = caller;
    this.options = options;
    this.keys = [`${options.prefix}{epoch}:id`, `${options.prefix}{epoch}:beat`];
  }

  /** Adopts the store's epoch (writing a fresh one on an empty store) and starts the background check. */
  async start(): Promise<void> {
    await this.adopt();
    this.timer = setInterval(() => void this.verify().catch(() => undefined), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The epoch currently served (for health details and tests). */
  get current(): string {
    return this.epoch;
  }

  /** The loss being handled, if any. */
  get lost(): EpochLoss | undefined {
    return this.loss;
  }

  onLoss(listener: LossListener): void {
    this.listeners.push(listener);
  }

  onRecovery(hook: RecoveryHook): void {
    this.hooks.push(hook);
  }

  /** Throws while a loss is being handled: nothing may be decided on a store that forgot what it knew. */
  assertServing(op: string): void {
    if (this.loss !== undefined) {
      this.maybeRecover();
      throw new StateUnavailableError(`${op}: the store lost its data (epoch ${this.loss.kind}); re-seeding`);
    }
  }

  /** Checks the epoch now; throws StateUnavailableError if the store lost its data (or cannot be reached). */
  async verify(): Promise<void> {
    if (this.loss === undefined) {
      const [[id, beat], shards] = await this.options.guard('epoch.check', () => Promise.all([
        runScript(this.caller, CHECK, this.keys, []) as Promise<[string | null, number]>,
        Promise.all((this.options.shardKeys ?? []).map((key) => this.caller.call('GET', key) as Promise<string | null>)),
      ]));
      const wipedShard = shards.find((value) => value !== this.epoch);
      if (this.loss === undefined) {
        if (id !== this.epoch) this.markLost({ kind: 'wiped', lostEpoch: this.epoch, found: id, at: this.options.now() });
        else if (wipedShard !== undefined) this.markLost({ kind: 'wiped', lostEpoch: this.epoch, found: wipedShard, at: this.options.now() });
        else if (beat <= this.beat) this.markLost({ kind: 'rolled_back', lostEpoch: this.epoch, found: id, at: this.options.now() });
        else this.beat = beat;
      }
    }
    this.assertServing('epoch.check');
  }

  private markLost(loss: EpochLoss): void {
    this.loss = loss;
    this.losses++;
    for (const listener of this.listeners) {
      try {
        listener(loss);
      } catch {
        // A failing listener (alert sink down) must not keep the store open: the loss stands regardless.
      }
    }
  }

  /** After the hold, runs the hooks once (retried on the next call if one fails), then adopts a new epoch. */
  private maybeRecover(): void {
    const loss = this.loss;
    if (loss === undefined || this.recovering !== undefined || this.options.now() < loss.at + this.options.holdMs) return;
    this.recovering = (async () => {
      try {
        for (const hook of this.hooks) await hook(loss);
        this.beat = 0;
        await this.adopt(loss.lostEpoch);
        this.loss = undefined;
      } catch {
        // Redis went away again, or a hook failed: stay closed; the next check tries again.
      } finally {
        this.recovering = undefined;
      }
    })();
  }

  /** Start-up: adopts the store's epoch or writes one. After a loss (`lost` given): replaces the lost epoch. */
  private async adopt(lost?: string): Promise<void> {
    const fresh = randomBytes(12).toString('base64url');
    const [id, beat] = await this.options.guard('epoch.adopt', () =>
      lost === undefined ? runScript(this.caller, ADOPT, this.keys, [fresh]) : runScript(this.caller, RENEW, this.keys, [fresh, lost])) as [string, number];
    // A shard key of another epoch is left from before a loss this process recovered from (or one that happened
    // before it started): it is overwritten, since the main epoch decides.
    for (const key of this.options.shardKeys ?? []) {
      await this.options.guard('epoch.adopt', async () => {
        if ((await this.caller.call('SET', key, id, 'NX')) === null && (await this.caller.call('GET', key)) !== id) {
          await this.caller.call('SET', key, id);
        }
      });
    }
    this.epoch = id;
    this.beat = beat;
  }

  /** Waits for a running recovery (tests, close). */
  async settled(): Promise<void> {
    await this.recovering;
  }
}
