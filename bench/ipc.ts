/** Messages between bench/run.ts and a server child (bench/server_process.ts), and the parent-side handle. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServerStats {
  /** user + system CPU time of the server process since it started, microseconds. */
  cpuMicros: number;
  /** The system (kernel) part of cpuMicros: syscalls, TLS socket writes, fsync. */
  systemMicros: number;
  rss: number;
  /** Highest RSS sampled (every 100 ms) since start or the last reset. */
  peakRss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

export type ToChild = { type: 'stats' | 'reset_peak' | 'gc'; id: number } | { type: 'close' } | { type: 'profile'; id: number; file?: string; heap?: boolean };
export type ToParent = { type: 'ready'; port: number } | { type: 'stats'; id: number; stats: ServerStats } | { type: 'closed' };

const CHILD = fileURLToPath(new URL('./server_process.ts', import.meta.url));

/** A server running in its own process, reachable on 127.0.0.1:`port`. */
export class ServerChild {
  readonly port: number;
  private readonly child: ChildProcess;
  private nextId = 0;

  private constructor(child: ChildProcess, port: number) {
    this.child = child;
    this.port = port;
  }

  /** Forks the child (`execArgv` e.g. ['--cpu-prof']) and waits until it listens. */
  static async start(args: string[], execArgv: string[] = []): Promise<ServerChild> {
    const child = fork(CHILD, args, { execArgv: ['--expose-gc', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server ${args[0]} did not start within 60 s`)), 60_000);
      child.once('exit', (code) => reject(new Error(`server ${args[0]} exited with ${code} before listening`)));
      child.on('message', (m: ToParent) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve(m.port);
        }
      });
    });
    return new ServerChild(child, port);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** CPU and memory figures of the child; `reset_peak` starts a new peak window, `gc` collects first. */
  async stats(type: 'stats' | 'reset_peak' | 'gc' = 'stats'): Promise<ServerStats> {
    const id = this.nextId++;
    return await new Promise((resolve) => {
      const onMessage = (m: ToParent) => {
        if (m.type === 'stats' && m.id === id) {
          this.child.off('message', onMessage);
          resolve(m.stats);
        }
      };
      this.child.on('message', onMessage);
      this.child.send({ type, id } satisfies ToChild);
    });
  }

  /**
   * Starts the child's CPU profiler (`file` undefined) or stops it and writes the profile to `file`. With `heap`,
   * the sampling heap profiler instead, counting only allocations that survive a scavenge (what fills old space).
   */
  async profile(file?: string, heap = false): Promise<void> {
    const id = this.nextId++;
    await new Promise<void>((resolve) => {
      const onMessage = (m: ToParent) => {
        if (m.type === 'stats' && m.id === id) {
          this.child.off('message', onMessage);
          resolve();
        }
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'profile', id, heap, ...(file === undefined ? {} : { file }) } satisfies ToChild);
    });
  }

  /** Asks the child to close gracefully (flushing its audit trail), killing it after 15 s. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    this.child.send({ type: 'close' } satisfies ToChild);
    await exited;
    clearTimeout(timer);
  }
}
