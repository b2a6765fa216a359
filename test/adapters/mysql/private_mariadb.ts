/**
 * A private MariaDB (or MySQL-compatible mariadbd) for tests: its own data folder from `mariadb-install-db`, on a
 * free loopback port and a private socket, with `--skip-name-resolve` so that a login to 127.0.0.1 matches
 * `'user'@'%'` and not the anonymous `''@localhost` install-db creates. Root gets a password we choose.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort } from '../../helpers/redis_server.ts';

const run = promisify(execFile);

/** Why a private MariaDB cannot start here, or undefined when it can. */
export async function mariadbMissing(): Promise<string | undefined> {
  for (const tool of ['mariadb-install-db', 'mariadbd']) {
    const found = await run('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`]).then(() => true, () => false);
    if (!found) return `MariaDB server binaries (${tool}) are not installed`;
  }
  return undefined;
}

export class PrivateMariaDb {
  readonly host = '127.0.0.1';
  readonly adminUser = 'root';
  readonly adminPassword = `root-${Math.random().toString(36).slice(2)}-pw`;
  readonly port: number;
  readonly dir: string;
  #child: ChildProcess | undefined;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  /** install-db, start, set root's password; about a second. */
  static async start(): Promise<PrivateMariaDb> {
    const dir = await mkdtemp(path.join(tmpdir(), 'crefgate-mariadb-'));
    const server = new PrivateMariaDb(dir, await freePort());
    try {
      await run('mariadb-install-db', ['--no-defaults', `--datadir=${server.dataDir}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], { timeout: 60_000 });
      await server.restart();
      const admin = await mysql.createConnection({ host: server.host, port: server.port, user: 'root', password: '' });
      try {
        // install-db leaves root without a password on every host entry, and anonymous users: neither may stay.
        const [hosts] = await admin.query<mysql.RowDataPacket[]>("SELECT Host FROM mysql.user WHERE User = 'root'");
        for (const { Host } of hosts) {
          // A root entry for the machine's host name is unreachable with --skip-name-resolve: it goes.
          if (['localhost', '127.0.0.1', '::1'].includes(Host)) await admin.query('ALTER USER ?@? IDENTIFIED BY ?', ['root', Host, server.adminPassword]);
          else await admin.query('DROP USER ?@?', ['root', Host]);
        }
        const [anonymous] = await admin.query<mysql.RowDataPacket[]>("SELECT Host FROM mysql.user WHERE User = ''");
        for (const { Host } of anonymous) await admin.query("DROP USER ''@?", [Host]);
      } finally {
        await admin.end();
      }
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** Starts mariadbd and waits until it accepts connections. */
  async restart(): Promise<void> {
    if (this.#child !== undefined) return;
    const child = spawn('mariadbd', [
      '--no-defaults', `--datadir=${this.dataDir}`, `--port=${this.port}`, `--socket=${path.join(this.dir, 'sock')}`, '--user=root',
      '--bind-address=127.0.0.1', '--skip-name-resolve', `--pid-file=${path.join(this.dir, 'pid')}`, '--skip-log-bin',
      '--innodb-buffer-pool-size=16M', '--innodb-flush-log-at-trx-commit=0', '--max-connections=300', `--log-error=${path.join(this.dir, 'error.log')}`,
    ], { stdio: 'ignore' });
    this.#child = child;
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.#child === undefined) throw new Error('mariadbd exited during start-up (see error.log)');
      const up = await mysql.createConnection({ host: this.host, port: this.port, user: 'root', password: this.adminPassword, connectTimeout: 500 })
        .then(async (c) => { await c.end(); return true; }, (err: { errno?: number }) => err.errno === 1045);
      if (up) return;
      await delay(50);
    }
    throw new Error(`mariadbd on port ${this.port} did not start`);
  }

  /** Stops the server (SIGKILL: its data is thrown away) and removes its folder; safe to call twice. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child !== undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
