/**
 * Starts a private `redis-server` on a free loopback port (no persistence) for tests that need their own
 * instance, e.g. to stop and restart it. Never touches the shared instance on 6379.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  readonly port: number;
  /** With a folder, the server keeps an append-only file there, so a restart keeps its data. */
  private readonly persistDir: string | undefined;
  /**
   * Working folder of a server without persistence: its own empty one, never the test's cwd, so that a
   * `dump.rdb` left there by anything (a replica's full sync, SHUTDOWN SAVE) is never loaded at start.
   */
  private readonly scratchDir = mkdtempSync(path.join(os.tmpdir(), 'crefgate-redis-'));
  private child: ChildProcess | undefined;

  private constructor(port: number, persistDir?: string) {
    this.port = port;
    this.persistDir = persistDir;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts a server on `port` (default: a free one) and waits until it answers PING. */
  static async start(port?: number, persistDir?: string): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()), persistDir);
    await server.restart();
    return server;
  }

  /** (Re)starts the process on the same port. */
  async restart(): Promise<void> {
    if (this.child !== undefined) return;
    const child = spawn(
      'redis-server',
      [
        '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--protected-mode', 'yes',
        ...(this.persistDir === undefined
          ? ['--appendonly', 'no', '--dir', this.scratchDir]
          : ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.persistDir]),
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await this.ping()) return;
      await delay(25);
    }
    throw new Error(`redis-server on port ${this.port} did not start`);
  }

  /** Stops the process (SIGKILL unless `graceful`) and waits for it to exit. */
  async stop(graceful = false): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(graceful ? 'SIGTERM' : 'SIGKILL');
    await exited;
  }

  private async ping(): Promise<boolean> {
    return await new Promise((resolve) => {
      const socket = net.connect(this.port, '127.0.0.1');
      socket.setTimeout(200);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
  }
}
