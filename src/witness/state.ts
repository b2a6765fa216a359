/**
 * What a witness remembers: per log origin, the latest checkpoint it cosigned (size, root, note). One JSON file
 * per origin in the witness's own state folder, replaced atomically and fsynced before the cosignature is
 * returned (tlog-witness: persist first). Updates of one origin are serialized, so the check of the old size and
 * the write of the new state are one step (the spec's rollback race cannot happen inside one process); a lock
 * file keeps a second witness process off the same folder.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';

export interface WitnessedCheckpoint {
  origin: string;
  size: number;
  /** base64 root hash. */
  root: string;
  /** The checkpoint as submitted, plus the witness's cosignature line: what an auditor takes as trusted. */
  note: string;
}

/** Reads the latest cosigned checkpoint of `origin` from a state folder, without taking its lock (read only). */
export async function readWitnessed(dir: string, origin: string): Promise<WitnessedCheckpoint | undefined> {
  try {
    const state = JSON.parse(await readFile(stateFile(dir, origin), 'utf8')) as WitnessedCheckpoint;
    if (state.origin !== origin) throw new Error(`state file of ${origin} holds ${state.origin}`);
    return state;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function stateFile(dir: string, origin: string): string {
  // Origins are arbitrary text: the file is named by their hash, never by the text itself.
  return path.join(dir, `${createHash('sha256').update(origin).digest('hex').slice(0, 32)}.json`);
}

export class WitnessState {
  private readonly dir: string;
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly lockFile: string;

  /** Opens (creating) the state folder and takes its lock; throws if another live witness holds it. */
  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.lockFile = path.join(dir, 'witness.lock');
    takeLock(this.lockFile);
  }

  /** The latest cosigned checkpoint of `origin`, if any. */
  latest(origin: string): Promise<WitnessedCheckpoint | undefined> {
    return readWitnessed(this.dir, origin);
  }

  /** Runs `step` with the origin's state, alone among the steps of that origin; `step` may persist a new state. */
  exclusive<T>(origin: string, step: (current: WitnessedCheckpoint | undefined, save: (next: WitnessedCheckpoint) => Promise<void>) => Promise<T>): Promise<T> {
    const run = (this.chains.get(origin) ?? Promise.resolve()).then(async () => step(await this.latest(origin), (next) => this.save(next)));
    this.chains.set(origin, run.catch(() => undefined));
    return run;
  }

  /** Releases the lock. */
  close(): void {
    rmSync(this.lockFile, { force: true });
  }

  private async save(next: WitnessedCheckpoint): Promise<void> {
    const file = this.fileOf(next.origin);
    const tmp = `${file}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(next)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  private fileOf(origin: string): string {
    return stateFile(this.dir, origin);
  }
}

function takeLock(file: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) throw new Error(`witness state ${path.dirname(file)} is in use by process ${pid}`);
      rmSync(file, { force: true }); // a stale lock of a witness that died
    }
  }
  throw new Error(`could not lock witness state ${path.dirname(file)}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
