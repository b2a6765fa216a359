/**
 * The PostgreSQL adapter: one fresh login role per resolve, a member of the route's group roles, expiring with
 * its lease (`VALID UNTIL`) as a second line of defence behind the gateway's own revocation. Revocation blocks
 * logins, ends the user's sessions, hands its objects to the configured owner in each configured database, and
 * drops it; it is idempotent, and says what it did.
 */
import pg, { type Pool, type PoolClient } from 'pg';
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
import { handleOf, issuedSecret, leaseSeconds, parseIntent, pickRole, renewedUntil, revokeFailure, secondsUntil, type UserHandle } from '../sql_users/lease.ts';
import { newPassword, userName } from '../sql_users/names.ts';
import { manifest } from './index.ts';
import type { PostgresOptions } from './options.ts';
import { mapPgError } from './map_error.ts';
import { scramVerifier } from './scram.ts';
import * as users from './users.ts';

/** PostgreSQL's NAMEDATALEN − 1. */
const MAX_NAME = 63;

/** Seams for tests and embedders, over pg's pool. */
export type PostgresDeps = SqlUsersDeps<pg.PoolConfig, pg.Pool>;

/** Builds the adapter; the password and CA are read now, connections are opened at the first call. */
export function create(options: PostgresOptions, context: AdapterContext, deps: PostgresDeps = {}): PostgresAdapter {
  const password = adminPassword(options.connection, context.configDir, deps.env ?? process.env);
  const ssl = serverTls(options.connection.tls, context.configDir);
  const pools = new Map<string, pg.Pool>();
  const pool = (database: string): pg.Pool => {
    let existing = pools.get(database);
    if (existing === undefined) {
      // Every option is pinned: pg would otherwise fill gaps from PGHOST, PGUSER, PGPASSWORD… of the environment.
      existing = (deps.createPool ?? ((c) => new pg.Pool(c)))({
        host: options.connection.host,
        port: options.connection.port,
        database,
        user: options.connection.user,
        password,
        ssl: ssl ?? false,
        max: database === options.connection.database ? options.pool_size : 2,
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: options.statement_timeout_ms,
        statement_timeout: options.statement_timeout_ms,
        application_name: `crefgate:${context.mount}`,
      });
      // An idle connection the server ends (restart, pg_terminate_backend) is reported here; the pool drops it
      // and the next call opens a new one. Without a listener the error would end the process.
      existing.on('error', () => undefined);
      pools.set(database, existing);
    }
    return existing;
  };
  return new PostgresAdapter({
    options,
    pool,
    now: deps.now ?? Date.now,
    onRevokeStep: deps.onRevokeStep,
    close: async () => {
      await Promise.allSettled([...pools.values()].map((p) => p.end()));
      pools.clear();
    },
  });
}

export interface PostgresSettings {
  options: PostgresOptions;
  /** Pool of one database (the admin database, or one of `cleanup_databases`). */
  pool(database: string): Pool;
  now: () => number;
  /** Test seam: awaited between revocation steps, to break the admin connection mid-revoke. */
  onRevokeStep?: ((step: string) => Promise<void>) | undefined;
  close(): Promise<void>;
}

export class PostgresAdapter implements SecretAdapter {
  readonly kind: string = manifest.kind;
  readonly #s: PostgresSettings;
  readonly #o: PostgresOptions;

  constructor(settings: PostgresSettings) {
    this.#s = settings;
    this.#o = settings.options;
  }

  /** A database mount serves no static secrets: routes to it must be `dynamic: true`. */
  async read(_request: ReadRequest): Promise<StaticSecret> {
    throw new AdapterError('invalid_reference', 'postgres mounts only issue dynamic credentials (mark the route dynamic)');
  }

  /** Creates a user for the job; nothing reaches the server when the route names no configured role. */
  async issue(request: IssueRequest): Promise<DynamicSecret> {
    const { name: roleName, role } = pickRole(this.#o.roles, request, manifest.kind);
    const now = this.#s.now();
    const seconds = leaseSeconds(role, this.#o.default_ttl_seconds, request.maxTtlSeconds);
    const username = userName(this.#o.username_prefix, request.job.tenant, request.job.jobId, MAX_NAME);
    const password = newPassword();
    const verifier = await scramVerifier(password);
    const validUntil = new Date(Math.min(now + seconds * 1000, request.job.expiresAt));
    const intent = { jobId: request.job.jobId, tenant: request.job.tenant, jobExpiresAt: request.job.expiresAt, createdAt: now, role: roleName };
    await this.#withClient('issue', this.#o.connection.database, request.signal, (client) =>
      users.createUser(client, role, { name: username, verifier, validUntil }, intent),
    );
    const handle: UserHandle = { username, job_expires_at: request.job.expiresAt, role: roleName };
    return issuedSecret(this.#o, 'postgresql://', { username, password }, validUntil, now, handle as unknown as JsonValue);
  }

  /** Moves VALID UNTIL by the increment, never past the job end; a user that is gone is not_found. */
  async renew(request: RenewRequest): Promise<RenewResult> {
    const handle = handleOf(request.handle, manifest.kind, this.#o.username_prefix);
    const now = this.#s.now();
    const until = renewedUntil(manifest.kind, request.incrementSeconds, handle.job_expires_at, now);
    const moved = await this.#withClient('renew', this.#o.connection.database, request.signal, (client) => users.setValidUntil(client, handle.username, new Date(until)));
    if (!moved) throw new AdapterError('not_found', 'postgres renew: the user no longer exists');
    return { leaseDuration: secondsUntil(until, now) };
  }

  /** Blocks login, ends sessions, reassigns and drops owned objects, drops the user, ends late sessions. */
  async revoke(request: RevokeRequest): Promise<Record<string, JsonValue>> {
    const handle = handleOf(request.handle, manifest.kind, this.#o.username_prefix);
    const { username } = handle;
    const main = this.#o.connection.database;
    const done: string[] = [];
    const step = async (name: string) => this.#s.onRevokeStep?.(name);
    const run = <T>(database: string, work: (client: PoolClient) => Promise<T>) => this.#withClient('revoke', database, request.signal, work);
    let ended = 0;
    try {
      const exists = await run(main, async (client) => {
        const found = await users.roleExists(client, username);
        if (found) await users.blockLogin(client, username);
        return found;
      });
      if (exists) done.push('login blocked');
      ended = await run(main, (client) => users.terminateSessions(client, username));
      done.push(`sessions ended: ${ended}`);
      let dropped = false;
      if (exists) {
        await run(main, (client) => users.runRevocationStatements(client, this.#o.roles[handle.role], username));
        const owner = this.#o.reassign_owned_to ?? this.#o.connection.user;
        for (const database of this.#o.cleanup_databases ?? [main]) {
          await run(database, async (client) => {
            await step('owning');
            if (await users.roleExists(client, username)) await users.dropOwned(client, username, owner);
          });
          done.push(`owned objects reassigned in ${database}`);
        }
        dropped = await run(main, (client) => users.dropRole(client, username));
        if (dropped) done.push('user dropped');
      }
      // A login that was being authenticated while NOLOGIN committed can still have started a session.
      ended += await run(main, (client) => users.terminateSessions(client, username));
      return { user: username, sessions_terminated: ended, user_dropped: dropped, already_gone: !exists };
    } catch (err) {
      throw revokeFailure(err, done);
    }
  }

  /** Every user with this mount's prefix, with the job its intent comment names. */
  async listIssued(signal: AbortSignal): Promise<IssuedCredential[]> {
    const rows = await this.#withClient('list', this.#o.connection.database, signal, (client) => users.listUsers(client, this.#o.username_prefix));
    // The admin's own role is never a candidate, whatever its name.
    return rows.filter(({ name }) => name !== this.#o.connection.user).map(({ name, comment }) => {
      const intent = parseIntent(comment);
      return {
        id: name,
        handle: { username: name, job_expires_at: intent?.jobExpiresAt ?? 0, role: intent?.role ?? '' },
        jobId: intent?.jobId,
        jobExpiresAt: intent?.jobExpiresAt,
        createdAt: intent?.createdAt,
      };
    });
  }

  /** One round trip on the admin connection. */
  async health(signal: AbortSignal): Promise<HealthReport> {
    await this.#withClient('health', this.#o.connection.database, signal, (client) => client.query('SELECT 1'));
    return { ok: true, detail: 'admin connection answers' };
  }

  async close(): Promise<void> {
    await this.#s.close();
  }

  /** Runs `work` on a pooled connection of `database` under the signal; every failure becomes an AdapterError. */
  async #withClient<T>(action: string, database: string, signal: AbortSignal, work: (client: PoolClient) => Promise<T>): Promise<T> {
    if (signal.aborted) throw new AdapterError('timeout', `postgres ${action}: aborted before sending`, { cause: signal.reason });
    let client: PoolClient | undefined;
    let failed = false;
    const connecting = this.#s.pool(database).connect();
    // A checked-out client whose backend dies between two statements emits 'error' (the pool listens only to
    // idle ones): unheard, it would end the process. The next statement on it fails, and the client is closed.
    const onError = (): void => {
      failed = true;
    };
    try {
      client = await raceAbort(connecting, signal);
      client.on('error', onError);
      return await raceAbort(work(client), signal);
    } catch (err) {
      failed = true;
      // A connection that arrives after the caller gave up goes straight back to the pool.
      if (client === undefined) connecting.then((late) => late.release(), () => undefined);
      if (signal.aborted) throw new AdapterError('timeout', `postgres ${action}: aborted`, { cause: signal.reason });
      throw mapPgError(err, action);
    } finally {
      // A connection that failed (or was abandoned mid-statement) is closed, never handed to the next caller in
      // an unknown state; closing it also makes the server roll back an unfinished transaction.
      client?.off('error', onError);
      client?.release(failed);
    }
  }
}
