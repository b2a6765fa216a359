/**
 * A private PostgreSQL cluster with password authentication (scram-sha-256) for tests that must see passwords
 * and VALID UNTIL enforced: the shared server on 5432 trusts every local connection. initdb and the server run
 * as the `postgres` OS user (PostgreSQL refuses root), in a temporary folder, on a free loopback port.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../helpers/redis_server.ts';

const run = promisify(execFile);

/** Folder of initdb and pg_ctl, or undefined when PostgreSQL's server binaries are not installed. */
export function postgresBinDir(): string | undefined {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    return existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Why the private cluster cannot start here, or undefined when it can. */
export function postgresMissing(): string | undefined {
  if (postgresBinDir() === undefined) return 'PostgreSQL server binaries (pg_config --bindir: initdb, pg_ctl) are not installed';
  if (userInfo().uid !== 0) return 'starting a private PostgreSQL needs root (to run initdb as the postgres OS user)';
  try {
    postgresIds();
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

export class PrivatePostgres {
  readonly host = '127.0.0.1';
  readonly adminUser = 'admin';
  readonly adminPassword: string;
  readonly port: number;
  readonly dir: string;
  readonly #bin: string;
  #running = false;
  #extra = '';

  private constructor(dir: string, port: number, password: string, bin: string) {
    this.dir = dir;
    this.port = port;
    this.adminPassword = password;
    this.#bin = bin;
  }

  /** initdb (scram-sha-256, superuser `admin`) and start; about a second. With `tls`, the server also speaks TLS. */
  static async start(options: { tls?: { cert: string; key: string } } = {}): Promise<PrivatePostgres> {
    const missing = postgresMissing();
    if (missing !== undefined) throw new Error(missing);
    const bin = postgresBinDir()!;
    const dir = await mkdtemp(path.join(tmpdir(), 'crefgate-pg-'));
    const password = `admin-${Math.random().toString(36).slice(2)}-pw`;
    const server = new PrivatePostgres(dir, await freePort(), password, bin);
    try {
      const { uid, gid } = postgresIds();
      await chown(dir, uid, gid);
      await chmod(dir, 0o700);
      const pwfile = path.join(dir, 'pwfile');
      await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
      await chown(pwfile, uid, gid);
      await server.#asPostgres('initdb', ['-D', server.dataDir, '--auth=scram-sha-256', `--username=${server.adminUser}`, `--pwfile=${pwfile}`, '--no-sync', '-E', 'UTF8', '--locale=C']);
      await rm(pwfile);
      if (options.tls !== undefined) {
        // PostgreSQL refuses a key file that others can read, and reads both as the postgres user.
        for (const [name, text] of [['server.crt', options.tls.cert], ['server.key', options.tls.key]] as const) {
          const file = path.join(dir, name);
          await writeFile(file, text, { mode: 0o600 });
          await chown(file, uid, gid);
        }
        server.#extra = ` -c ssl=on -c ssl_cert_file=${path.join(dir, 'server.crt')} -c ssl_key_file=${path.join(dir, 'server.key')}`;
      }
      await server.restart();
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** Starts the server (again) on the same port and waits until it accepts connections. */
  async restart(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200${this.#extra}`;
    await this.#asPostgres('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', path.join(this.dir, 'server.log'), '-w', '-t', '30', 'start']);
    this.#running = true;
  }

  /** Stops the server and removes its folder; safe to call twice and after a failed start. */
  async stop(): Promise<void> {
    if (this.#running) {
      await this.#asPostgres('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      this.#running = false;
    }
    await rm(this.dir, { recursive: true, force: true });
  }

  async #asPostgres(tool: string, args: string[]): Promise<void> {
    await run('runuser', ['-u', 'postgres', '--', path.join(this.#bin, tool), ...args], { cwd: this.dir, timeout: 60_000 });
  }
}

/** uid and gid of the `postgres` OS user; throws when there is none. */
function postgresIds(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    if (Number.isInteger(uid) && Number.isInteger(gid)) return { uid, gid };
  } catch {
    // fall through
  }
  throw new Error('there is no postgres OS user to run the private cluster as');
}
