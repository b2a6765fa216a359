/**
 * The progress line of long audit commands: events and bytes read, rate and ETA, redrawn in place on stderr.
 * Only on a terminal: when stderr is a pipe or a file (scripts, CI) nothing at all is written, so output that is
 * parsed stays exactly what it was. Redraws are throttled, and a slow timer keeps the line alive while work runs
 * between reads.
 */
import { stat } from 'node:fs/promises';
import { readObserver } from '../audit/log/log_files.ts';
import { sourcesOf } from '../audit/report/read_events.ts';

/** What the progress line writes to: process.stderr, or a test double. */
export interface ProgressStream {
  isTTY?: boolean | undefined;
  columns?: number | undefined;
  write(text: string): unknown;
}

export interface ProgressOptions {
  /** Bytes the whole job will read (for percent and ETA); 0 or undefined when unknown. */
  totalBytes?: number | undefined;
  stream?: ProgressStream | undefined;
  now?: (() => number) | undefined;
  /** Minimum time between redraws. */
  intervalMs?: number | undefined;
  /** Redraw on a timer too (off in unit tests, which drive the clock). */
  timer?: boolean | undefined;
}

/** A progress line; every method is a no-op when the stream is not a terminal. */
export class Progress {
  readonly active: boolean;
  private events = 0;
  private bytes = 0;
  private phase = '';
  private lastDraw = -Infinity;
  private readonly started: number;
  private readonly stream: ProgressStream;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private readonly ticker: NodeJS.Timeout | undefined;

  private readonly label: string;
  private readonly options: ProgressOptions;

  constructor(label: string, options: ProgressOptions = {}) {
    this.label = label;
    this.options = options;
    this.stream = options.stream ?? process.stderr;
    this.active = this.stream.isTTY === true;
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? 200;
    this.started = this.now();
    this.ticker = this.active && options.timer !== false ? setInterval(() => this.draw(true), 1000).unref() : undefined;
  }

  /** Counts lines (events) and bytes read. */
  add(events: number, bytes: number): void {
    if (!this.active) return;
    this.events += events;
    this.bytes += bytes;
    this.draw(false);
  }

  /** Names what is running now (shown after the counts). */
  setPhase(phase: string): void {
    if (!this.active) return;
    this.phase = phase;
    this.draw(true);
  }

  /** Draws the final line and ends it with a newline. */
  done(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    if (!this.active) return;
    this.phase = 'done';
    this.draw(true);
    this.stream.write('\n');
  }

  /** The text of the line as it stands. */
  line(): string {
    const elapsed = Math.max(1, this.now() - this.started) / 1000;
    const total = this.options.totalBytes ?? 0;
    const parts = [`${this.label}: ${this.events.toLocaleString('en-US')} events`];
    parts.push(total > 0 ? `${mb(Math.min(this.bytes, total))} of ${mb(total)} (${Math.min(100, Math.floor((this.bytes / total) * 100))}%)` : mb(this.bytes));
    parts.push(`${Math.round(this.events / elapsed).toLocaleString('en-US')} events/s`, `${mb(this.bytes / elapsed)}/s`);
    if (total > 0 && this.bytes > 0 && this.bytes < total) parts.push(`ETA ${clock(((total - this.bytes) / this.bytes) * elapsed)}`);
    else parts.push(`elapsed ${clock(elapsed)}`);
    if (this.phase !== '') parts.push(this.phase);
    return parts.join(' · ');
  }

  private draw(force: boolean): void {
    const at = this.now();
    if (!force && at - this.lastDraw < this.intervalMs) return;
    this.lastDraw = at;
    const width = this.stream.columns ?? 0;
    const text = width > 10 && this.line().length >= width ? `${this.line().slice(0, width - 2)}…` : this.line();
    // \r to the line's start, then erase it: a shorter line leaves no remains of the previous one.
    this.stream.write(`\r\x1b[2K${text}`);
  }
}

function mb(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} kB`;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Bytes of event data at `target` (a bundle's event files, or every segment of the logs there). */
export async function eventBytes(target: string): Promise<number> {
  const sources = await sourcesOf(target).catch(() => []);
  let total = 0;
  for (const source of sources) for (const file of source.files) total += (await stat(file).catch(() => undefined))?.size ?? 0;
  return total;
}

/** Runs `work` with a progress line fed by every audit line read meanwhile (src/audit/log_files.ts). */
export async function withProgress<T>(label: string, totalBytes: number, work: (progress: Progress) => Promise<T>, stream?: ProgressStream): Promise<T> {
  const progress = new Progress(label, { totalBytes, stream });
  if (progress.active) readObserver.onRead = (lines, bytes) => progress.add(lines, bytes);
  try {
    return await work(progress);
  } finally {
    if (progress.active) readObserver.onRead = undefined;
    progress.done();
  }
}

/** Bytes of event data under all of `targets`. */
export async function eventBytesOf(targets: string[]): Promise<number> {
  let total = 0;
  for (const t of targets) total += await eventBytes(t);
  return total;
}
