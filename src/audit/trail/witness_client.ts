/**
 * Sends each new checkpoint to the configured witnesses (C2SP tlog-witness add-checkpoint) and keeps their
 * cosignatures with the checkpoints. Off the request path: a resolve never waits for a witness. Per witness one
 * request at a time, always for the newest checkpoint (older ones waiting are superseded), bounded retries with
 * backoff, and a 409 teaches the witness's size (then the proof is rebuilt from it). A witness that stays
 * unreachable, or refuses, raises one `alert` audit event per outage; the next success ends the outage.
 */
import { alertEvent } from './alert_event.ts';
import type { AuditEventInput } from '../contract.ts';
import type { Checkpoint } from '../log/checkpoint.ts';
import { parseNote, type NoteVerifier } from '../log/note.ts';
import { TreeWindow } from '../log/tree_window.ts';

/** Leaves kept for a lagging witness before the window restarts at the head (it is then caught up from disk). */
const MAX_WINDOW_LEAVES = 1 << 20;
import { verifyCosignatures } from '../log/cosignature.ts';
import { formatAddCheckpoint } from '../log/witness_request.ts';

export interface WitnessTarget {
  url: string;
  key: NoteVerifier;
  timeoutMs: number;
  attempts: number;
}

export interface WitnessPoolOptions {
  origin: string;
  witnesses: WitnessTarget[];
  /** The checkpointer's tree now (its frontier): where the proof window starts, and restarts after an overflow. */
  range: () => { size: number; hashes: Buffer[] };
  /** The frontier at `size` and the leaves [size, end), read back from the log on disk. */
  reload: (size: number, end: number) => Promise<{ range: { size: number; hashes: Buffer[] }; leaves: Buffer[] }>;
  /** Keeps a checkpoint note that now carries a witness cosignature. */
  store: (cosignedNote: string, checkpoint: Checkpoint) => void;
  /** Records an alert event (fire and forget); the alert outlets count it and send it to the webhook (docs/signals.md). */
  alert: (event: AuditEventInput) => void;
  notice: (message: string) => void;
  backoffMs?: number;
}

/** The alerts a witness raises (part of `SignalName`, src/signals/alert.ts). */
export type WitnessSignal = 'witness_unreachable' | 'witness_refused';

interface Job {
  note: string;
  checkpoint: Checkpoint;
}

class Refused extends Error {}

/** One witness: its known size, the newest checkpoint waiting for it, and whether it is in an outage. */
class WitnessLink {
  known: number | undefined;
  private pending: Job | undefined;
  private running: Promise<void> | undefined;
  private outage = false;
  private readonly target: WitnessTarget;
  private readonly pool: WitnessPoolOptions;
  private readonly window: () => TreeWindow;

  constructor(target: WitnessTarget, pool: WitnessPoolOptions, window: () => TreeWindow) {
    this.target = target;
    this.pool = pool;
    this.window = window;
  }

  offer(job: Job): void {
    this.pending = job;
    this.running ??= this.drain();
  }

  /** Resolves once nothing is in flight or waiting. */
  get idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    try {
      for (let job = this.pending; job !== undefined; job = this.pending) {
        this.pending = undefined;
        await this.send(job);
      }
    } finally {
      this.running = undefined;
    }
  }

  private async send(job: Job): Promise<void> {
    const { attempts, timeoutMs, url } = this.target;
    let lastError = '';
    let conflicts = 0;
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        const old = this.known ?? 0;
        if (old > job.checkpoint.size) throw new Refused(`witness has cosigned ${old} events, more than this checkpoint's ${job.checkpoint.size}: the log lost events or forked`);
        const proof = await this.proof(old, job.checkpoint.size);
        const res = await fetch(`${url.replace(/\/$/, '')}/add-checkpoint`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: formatAddCheckpoint({ oldSize: old, proof, note: job.note }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        if (res.status === 200) {
          const cosigned = job.note + text;
          if (verifyCosignatures(cosigned, [this.target.key]).length === 0) throw new Refused('the answer carries no cosignature by the configured witness key');
          this.known = job.checkpoint.size;
          this.pool.store(cosigned, job.checkpoint);
          if (this.outage) this.pool.notice(`witness ${url}: cosigning again at size ${job.checkpoint.size}`);
          this.outage = false;
          return;
        }
        if (res.status === 409 && /^\d{1,16}\n$/.test(text) && conflicts++ < 2) {
          const size = Number(text.trim());
          if (size === old) throw new Refused(`witness refused size ${job.checkpoint.size}: another root at its size ${old} (fork)`);
          this.known = size;
          attempt--; // learning the witness's size is not a failed try
          continue;
        }
        if (res.status >= 400 && res.status < 500) throw new Refused(`witness answered ${res.status}: ${text.trim().slice(0, 200)}`);
        lastError = `witness answered ${res.status}`;
      } catch (err) {
        if (err instanceof Refused) return this.trouble('witness_refused', err.message, attempt + 1);
        lastError = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err as Error).message;
      }
      if (attempt + 1 < attempts) await sleep((this.pool.backoffMs ?? 200) * 2 ** attempt);
    }
    this.trouble('witness_unreachable', lastError, attempts);
  }

  private async proof(old: number, size: number): Promise<Buffer[]> {
    const window = this.window();
    const proof = window.consistencyProof(old, size);
    if (proof !== undefined) return proof;
    // The witness is behind the window: read its part of the tree back from the log.
    const { range, leaves } = await this.pool.reload(old, window.start);
    window.rewind(range, leaves);
    return window.consistencyProof(old, size)!;
  }

  private trouble(signal: WitnessSignal, reason: string, attempts: number): void {
    this.pool.notice(`witness ${this.target.url}: ${reason}`);
    if (this.outage) return;
    this.outage = true;
    // The same event shape as every other alert (./alert_event.ts), so it is counted and sent like them.
    this.pool.alert(
      alertEvent(this.pool.origin, {
        signal,
        subject: { kind: 'witness', id: this.target.url },
        facts: { witness: this.target.url, witness_key: this.target.key.name, attempts, error: reason.slice(0, 300) },
      }),
    );
  }
}

/** The witnesses of one log. */
export class WitnessPool {
  private readonly links: WitnessLink[];
  private window: TreeWindow;
  private readonly options: WitnessPoolOptions;

  constructor(options: WitnessPoolOptions) {
    this.options = options;
    this.window = new TreeWindow(options.range());
    this.links = options.witnesses.map((w) => new WitnessLink(w, options, () => this.window));
  }

  /** A committed leaf (called with every leaf the checkpointer adds, in order). */
  append(leaf: Buffer): void {
    this.window.append(leaf);
  }

  /** Offers a freshly signed checkpoint to every witness. */
  submit(note: string, checkpoint: Checkpoint): void {
    parseNote(note); // a note this gateway cannot parse is not sent anywhere
    // Leaves every witness has cosigned are no longer needed for proofs.
    const floor = Math.min(...this.links.map((l) => l.known ?? this.window.start));
    this.window.advance(Math.min(floor, checkpoint.size));
    if (this.window.size - this.window.start > MAX_WINDOW_LEAVES) this.window = new TreeWindow(this.options.range());
    for (const link of this.links) link.offer({ note, checkpoint });
  }

  /** Waits, at most `ms`, for the witnesses to answer what they were sent. */
  async settle(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.links.map((l) => l.idle)), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
