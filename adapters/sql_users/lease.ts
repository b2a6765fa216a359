/**
 * What both database adapters decide the same way: which role definition a route asks for, how long a user
 * lives, what the lease handle holds, and the intent record written at the server before the user exists.
 */
import { AdapterError, type DynamicSecret, type IssueRequest, type JsonValue } from '../contract.ts';
import type { RoleDefinition } from './options.ts';

/** The lease handle: what renew and revoke need. Never the password. */
export interface UserHandle {
  username: string;
  /** Job end, epoch ms: renew never moves the server-side expiry past it. */
  job_expires_at: number;
  /** Role definition it was created under (its revocation statements run at revoke). */
  role: string;
}

/** The intent record stored at the server with the user (a role comment, a bookkeeping row). */
export interface UserIntent {
  jobId: string;
  tenant: string;
  jobExpiresAt: number;
  createdAt: number;
  /** Role definition it is created under: an orphan's revocation statements still run. */
  role: string;
}

/** The role definition the route names (its `role` option, else its path); refused, like a field, before anything is sent. */
export function pickRole(roles: Record<string, RoleDefinition>, request: IssueRequest, kind: string): { name: string; role: RoleDefinition } {
  // A database credential is handed out whole: one key of it is of no use, and ignoring `field` would be ambiguous.
  if (request.field !== undefined) throw new AdapterError('invalid_reference', `${kind} issue: database credentials have no fields`);
  const options = request.routeOptions ?? {};
  const unknown = Object.keys(options).filter((key) => key !== 'role');
  if (unknown.length > 0) throw new AdapterError('invalid_reference', `${kind} issue: unknown route option (only "role" is accepted)`);
  const name = options.role ?? request.path;
  // The name is never echoed: it may come from a cref variable, i.e. from the caller.
  if (typeof name !== 'string' || !Object.hasOwn(roles, name)) throw new AdapterError('invalid_reference', `${kind} issue: the route names no configured role`);
  return { name, role: roles[name]! };
}

/** Seconds the user may live: the role's (or mount's) default, never past the job end. */
export function leaseSeconds(role: RoleDefinition, mountDefault: number, maxTtlSeconds: number): number {
  return Math.max(1, Math.min(role.default_ttl_seconds ?? mountDefault, Math.floor(maxTtlSeconds)));
}

/** Whole seconds from `now` to `until` (epoch ms), at least one: the lease the caller is told. */
export function secondsUntil(until: number, now: number): number {
  return Math.max(1, Math.floor((until - now) / 1000));
}

/** Where a renewed lease ends: the increment from now, never past the job end; once the job has ended, not_found. */
export function renewedUntil(kind: string, incrementSeconds: number, jobExpiresAt: number, now: number): number {
  const until = Math.min(now + Math.max(1, Math.floor(incrementSeconds)) * 1000, jobExpiresAt);
  if (until <= now) throw new AdapterError('not_found', `${kind} renew: the job has ended`);
  return until;
}

/** Where issued users connect: `connect_host`/`connect_port` when set, else the admin connection's. */
interface ConnectTarget {
  connect_host?: string | undefined;
  connect_port?: number | undefined;
  connection: { host: string; port: number; database: string };
}

/** The credential of a new user (the URI under `scheme`, given with its `://`), renewable and revocable, leased until `until`. */
export function issuedSecret(target: ConnectTarget, scheme: string, user: { username: string; password: string }, until: Date, now: number, handle: JsonValue): DynamicSecret {
  const { username, password } = user;
  const host = target.connect_host ?? target.connection.host;
  const port = target.connect_port ?? target.connection.port;
  const database = target.connection.database;
  return {
    value: { username, password, host, port: String(port), database, uri: connectionUri(scheme, username, password, host, port, database) },
    leaseDuration: secondsUntil(until.getTime(), now),
    renewable: true,
    revocable: true,
    handle,
  };
}

/** Reads a stored handle; a handle without a user name cannot be acted on. */
export function handleOf(handle: JsonValue, kind: string, prefix: string): UserHandle {
  const h = handle as Partial<UserHandle> | null;
  if (typeof h?.username !== 'string' || !h.username.startsWith(prefix) || !/^[a-z0-9_]{1,80}$/.test(h.username)) {
    throw new AdapterError('invalid_reference', `${kind} lease: handle names no user of this mount`);
  }
  return { username: h.username, job_expires_at: typeof h.job_expires_at === 'number' ? h.job_expires_at : 0, role: typeof h.role === 'string' ? h.role : '' };
}

/** Encodes the intent for a role comment; the sweeper reads it back with `parseIntent`. */
export function intentText(intent: UserIntent): string {
  return JSON.stringify({ crefgate: 1, job: intent.jobId, tenant: intent.tenant, job_end: intent.jobExpiresAt, created: intent.createdAt, role: intent.role });
}

/** The intent in a role comment, or undefined when the comment is missing or not crefgate's. */
export function parseIntent(text: string | null | undefined): UserIntent | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    if (value.crefgate !== 1 || typeof value.job !== 'string' || typeof value.job_end !== 'number' || typeof value.created !== 'number') return undefined;
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    return { jobId: value.job, tenant: str(value.tenant), jobExpiresAt: value.job_end, createdAt: value.created, role: str(value.role) };
  } catch {
    return undefined;
  }
}

/** `<scheme://>user:password@host:port/database` (scheme given with its `://`), every part percent-encoded. */
export function connectionUri(scheme: string, user: string, password: string, host: string, port: number, database: string): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `${scheme}${encodeURIComponent(user)}:${encodeURIComponent(password)}@${h}:${port}/${encodeURIComponent(database)}`;
}

/**
 * The error of a failed revocation step, with what the earlier steps did (`login blocked, 1 session ended`), so
 * the failed attempt's audit event says how far it got. The kind (and so retryability) is unchanged.
 */
export function revokeFailure(caught: unknown, done: string[]): AdapterError {
  const err = caught instanceof AdapterError ? caught : new AdapterError('unavailable', 'revoke failed unexpectedly', { cause: caught });
  const reason = err.reason.startsWith(`${err.kind}: `) ? err.reason.slice(err.kind.length + 2) : err.reason;
  return new AdapterError(err.kind, `${reason}; done before the failure: ${done.length === 0 ? 'nothing' : done.join(', ')}`, {
    cause: err.cause ?? err,
    retryAfter: err.retryAfter,
  });
}
