/**
 * The MySQL/MariaDB adapter: one fresh account per resolve, granted the route's roles. Neither server expires an
 * account at a given time, so the gateway's lease (and its revocation) is the bound. Revocation locks the
 * account, kills its connections (they outlive DROP USER), drops it, kills again, and forgets the intent row.
 */
import mysql from 'mysql2/promise';
import { raceAbort } from '../../src/deadline/abortable.ts';
import {
  type AdapterContext,
  AdapterError,
  type DynamicSecret,
  type HealthReport,
  type IssueRequest,
  type IssuedCredential,
  type JsonValue,
  type ReadRequest,
  type RenewRequest,
  type RenewResult,
  type RevokeRequest,
  type SecretAdapter,
  type StaticSecret,
} from '../contract.ts';
import { adminPassword, serverTls } from '../sql_users/admin_password.ts';
import type { SqlUsersDeps } from '../sql_users/deps.ts';
import { handleOf, issuedSecret, leaseSeconds, pickRole, renewedUntil, revokeFailure, secondsUntil } from '../sql_users/lease.ts';
import { newPassword, userName } from '../sql_users/names.ts';
import { mapMysqlError } from './map_error.ts';
import { manifest } from './index.ts';
import type { MysqlOptions } from './options.ts';
import * as users from './users.ts';

/** MySQL's limit for user names (MariaDB allows 80): the smaller one fits both. */
const MAX_NAME = 32;

/** Seams for tests and embedders, over mysql2's pool. */
export type MysqlDeps = SqlUsersDeps<mysql.PoolOptions, mysql.Pool>;

/** Builds the adapter; the password and CA are read now, connections are opened at the first call. */
export function create(options: MysqlOptions, context: AdapterContext, deps: MysqlDeps = {}): MysqlAdapter {
  const password = adminPassword(options.connection, context.configDir, deps.env ?? process.env);
  const ssl = serverTls(options.connection.tls, context.configDir);
  const pool = (deps.createPool ?? mysql.createPool)({
    host: options.connection.host,
    port: options.connection.port,
    user: options.connection.user,
    password,
    ssl,
    connectionLimit: options.pool_size,
    maxIdle: options.pool_size,
    idleTimeout: 30_000,
    connectTimeout: options.statement_timeout_ms,
    // One statement per query: a placeholder value can never smuggle in a second one.
    multipleStatements: false,
    enableKeepAlive: true,
    connectAttributes: { program_name: `crefgate:${context.mount}` },
  });
  return new MysqlAdapter({ options, pool, now: deps.now ?? Date.now, onRevokeStep: deps.onRevokeStep });
}

export interface MysqlSettings {
  options: MysqlOptions;
  pool: mysql.Pool;
  now: () => number;
  /** Test seam: awaited between revocation steps, to break the admin connection mid-revoke. */
  onRevokeStep?: ((step: string) => Promise<void>) | undefined;
}

export class MysqlAdapter implements SecretAdapter {
  readonly kind: string = manifest.kind;
  readonly #s: MysqlSettings;
  readonly #o: MysqlOptions;
  #prepared: Promise<boolean> | undefined;

  constructor(settings: MysqlSettings) {
    this.#s = settings;
    this.#o = settings.options;
  }

  /** A database mount serves no static secrets: routes to it must be `dynamic: true`. */
  async read(_request: ReadRequest): Promise<StaticSecret> {
    throw new AdapterError('invalid_reference', 'mysql mounts only issue dynamic credentials (mark the route dynamic)');
  }

  /** Records intent, then creates the account; nothing reaches the server when the route names no configured role. */
  async issue(request: IssueRequest): Promise<DynamicSecret> {
    const { name: roleName, role } = pickRole(this.#o.roles, request, manifest.kind);
    const now = this.#s.now();
    const seconds = leaseSeconds(role, this.#o.default_ttl_seconds, request.maxTtlSeconds);
    const username = userName(this.#o.username_prefix, request.job.tenant, request.job.jobId, MAX_NAME);
    const password = newPassword();
    const host = this.#o.user_host;
    const expiresAt = new Date(Math.min(now + seconds * 1000, request.job.expiresAt));
    const intent = { jobId: request.job.jobId, tenant: request.job.tenant, jobExpiresAt: request.job.expiresAt, createdAt: now, role: roleName };
    await this.#with('issue', request.signal, async (conn) => {
      const mariadb = await this.#prepare(conn);
      await users.recordIntent(conn, this.#o.admin_schema, username, host, intent);
      try {
        await users.createUser(conn, role, { name: username, host, password, expiresAt }, mariadb);
      } catch (err) {
        // Leave nothing half made: an account without all its grants is removed with its intent row.
        await users.dropUser(conn, username, host).then(() => users.forgetIntent(conn, this.#o.admin_schema, username)).catch(() => undefined);
        throw err;
      }
    });
    const handle = { username, host, job_expires_at: request.job.expiresAt, role: roleName };
    return issuedSecret(this.#o, 'mysql://', { username, password }, expiresAt, now, handle);
  }

  /** The server keeps no expiry to move: renew checks the account still exists and bounds the lease by the job end. */
  async renew(request: RenewRequest): Promise<RenewResult> {
    const handle = handleOf(request.handle, manifest.kind, this.#o.username_prefix);
    const now = this.#s.now();
    const until = renewedUntil(manifest.kind, request.incrementSeconds, handle.job_expires_at, now);
    const exists = await this.#with('renew', request.signal, (conn) => users.userExists(conn, handle.username, this.#hostOf(request.handle)));
    if (!exists) throw new AdapterError('not_found', 'mysql renew: the account no longer exists');
    return { leaseDuration: secondsUntil(until, now) };
  }

  /** Locks, kills sessions, drops the account, kills late sessions, forgets the intent; idempotent. */
  async revoke(request: RevokeRequest): Promise<Record<string, JsonValue>> {
    const handle = handleOf(request.handle, manifest.kind, this.#o.username_prefix);
    const { username } = handle;
    const host = this.#hostOf(request.handle);
    const done: string[] = [];
    const step = async (name: string) => this.#s.onRevokeStep?.(name);
    const run = <T>(work: (conn: mysql.PoolConnection) => Promise<T>) => this.#with('revoke', request.signal, work);
    try {
      const exists = await run(async (conn) => {
        const found = await users.userExists(conn, username, host);
        if (found) await users.lockUser(conn, username, host);
        return found;
      });
      if (exists) done.push('account locked');
      let killed = await run((conn) => users.killSessions(conn, username));
      done.push(`sessions ended: ${killed}`);
      const dropped = await run(async (conn) => {
        await step('dropping');
        if (exists) await users.runRevocationStatements(conn, this.#o.roles[handle.role], username, host);
        return users.dropUser(conn, username, host);
      });
      if (dropped) done.push('user dropped');
      await step('dropped');
      // MariaDB keeps a dropped account's connections running; one that slipped in before the lock is ended now.
      killed += await run(async (conn) => {
        const late = await users.killSessions(conn, username);
        await this.#prepare(conn);
        await users.forgetIntent(conn, this.#o.admin_schema, username);
        return late;
      });
      return { user: username, sessions_terminated: killed, user_dropped: dropped, already_gone: !exists };
    } catch (err) {
      throw revokeFailure(err, done);
    }
  }

  /** Accounts with this mount's prefix and intent rows, with the job each row names. */
  async listIssued(signal: AbortSignal): Promise<IssuedCredential[]> {
    const rows = await this.#with('list', signal, async (conn) => {
      await this.#prepare(conn);
      return users.listUsers(conn, this.#o.admin_schema, this.#o.username_prefix);
    });
    // The admin's own account is never a candidate, whatever its name.
    return rows.filter(({ name }) => name !== this.#o.connection.user).map(({ name, host, intent }) => ({
      id: name,
      handle: { username: name, host: host ?? this.#o.user_host, job_expires_at: intent?.jobExpiresAt ?? 0, role: intent?.role ?? '' },
      jobId: intent?.jobId,
      jobExpiresAt: intent?.jobExpiresAt,
      createdAt: intent?.createdAt,
    }));
  }

  /** One round trip on the admin connection. */
  async health(signal: AbortSignal): Promise<HealthReport> {
    await this.#with('health', signal, (conn) => conn.query('SELECT 1'));
    return { ok: true, detail: 'admin connection answers' };
  }

  async close(): Promise<void> {
    await this.#s.pool.end().catch(() => undefined);
  }

  #hostOf(handle: JsonValue): string {
    const host = (handle as { host?: unknown } | null)?.host;
    return typeof host === 'string' && /^[A-Za-z0-9.%_:-]{1,255}$/.test(host) ? host : this.#o.user_host;
  }

  /** Creates the bookkeeping table once and learns whether the server is MariaDB (it differs on default roles). */
  #prepare(conn: mysql.PoolConnection): Promise<boolean> {
    this.#prepared ??= (async () => {
      await users.ensureBookkeeping(conn, this.#o.admin_schema);
      const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
      return /mariadb/i.test(String(rows[0]?.v ?? ''));
    })();
    this.#prepared.catch(() => {
      this.#prepared = undefined;
    });
    return this.#prepared;
  }

  /** Runs `work` on a pooled connection under the signal; every failure becomes an AdapterError. */
  async #with<T>(action: string, signal: AbortSignal, work: (conn: mysql.PoolConnection) => Promise<T>): Promise<T> {
    if (signal.aborted) throw new AdapterError('timeout', `mysql ${action}: aborted before sending`, { cause: signal.reason });
    let conn: mysql.PoolConnection | undefined;
    let failed = false;
    const connecting = this.#s.pool.getConnection();
    try {
      conn = await raceAbort(connecting, signal);
      return await raceAbort(work(conn), signal);
    } catch (err) {
      failed = true;
      if (conn === undefined) connecting.then((late) => late.release(), () => undefined);
      if (signal.aborted) throw new AdapterError('timeout', `mysql ${action}: aborted`, { cause: signal.reason });
      throw mapMysqlError(err, action);
    } finally {
      // A connection that failed is closed, never handed to the next caller in an unknown state.
      if (conn !== undefined) {
        if (failed) conn.destroy();
        else conn.release();
      }
    }
  }
}
