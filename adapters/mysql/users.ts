/**
 * The SQL of issuing and revoking one MySQL/MariaDB account. Account names go through `mysql.escape` (an account
 * is `'user'@'host'`, two string literals), role and schema names through `mysql.escapeId`; values are bound
 * `?` parameters wherever the statement takes them. DDL is not transactional here, so intent is a row in the
 * bookkeeping table written BEFORE `CREATE USER`, and removed only after `DROP USER`.
 */
import mysql from 'mysql2/promise';
import type { RoleDefinition } from '../sql_users/options.ts';
import type { UserIntent } from '../sql_users/lease.ts';
import { parseStatement, render } from '../sql_users/statements.ts';

type Conn = mysql.PoolConnection;
type Rows = mysql.RowDataPacket[];

/** `'user'@'host'`, both parts quoted as literals. */
export function account(user: string, host: string): string {
  return `${mysql.escape(user)}@${mysql.escape(host)}`;
}

/** Creates the bookkeeping schema and table when missing (idempotent). */
export async function ensureBookkeeping(conn: Conn, schema: string): Promise<void> {
  await conn.query(`CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(schema)}`);
  await conn.query(
    `CREATE TABLE IF NOT EXISTS ${mysql.escapeId(schema)}.issued_users (
      username VARCHAR(80) NOT NULL PRIMARY KEY, user_host VARCHAR(255) NOT NULL, job_id VARCHAR(255) NOT NULL,
      tenant VARCHAR(255) NOT NULL, job_expires_at BIGINT NOT NULL, created_at BIGINT NOT NULL, role VARCHAR(64) NOT NULL DEFAULT '')
      ENGINE=InnoDB`,
  );
}

/** Records intent: this user is about to be created for this job. */
export async function recordIntent(conn: Conn, schema: string, user: string, host: string, intent: UserIntent): Promise<void> {
  await conn.query(`INSERT INTO ${mysql.escapeId(schema)}.issued_users VALUES (?, ?, ?, ?, ?, ?, ?)`, [
    user, host, intent.jobId, intent.tenant, intent.jobExpiresAt, intent.createdAt, intent.role,
  ]);
}

/** Forgets the intent (after the user is gone). */
export async function forgetIntent(conn: Conn, schema: string, user: string): Promise<void> {
  await conn.query(`DELETE FROM ${mysql.escapeId(schema)}.issued_users WHERE username = ?`, [user]);
}

/** Creates the account and its grants; MariaDB activates the first role by default, MySQL all of them. */
export async function createUser(conn: Conn, role: RoleDefinition, user: { name: string; host: string; password: string; expiresAt: Date }, mariadb: boolean): Promise<void> {
  const who = account(user.name, user.host);
  if (role.creation_statements !== undefined) {
    const expiration = mysql.escape(user.expiresAt.toISOString().slice(0, 19).replace('T', ' '));
    const values = { name: who, password: mysql.escape(user.password), expiration };
    for (const sql of role.creation_statements) await conn.query(render(parseStatement(sql), (p) => values[p]));
    return;
  }
  await conn.query(`CREATE USER ${who} IDENTIFIED BY ?`, [user.password]);
  const roles = role.grant_roles!;
  await conn.query(`GRANT ${roles.map((r) => mysql.escapeId(r)).join(', ')} TO ${who}`);
  await conn.query(mariadb ? `SET DEFAULT ROLE ${mysql.escapeId(roles[0]!)} FOR ${who}` : `SET DEFAULT ROLE ALL TO ${who}`);
}

/** True when the account exists. */
export async function userExists(conn: Conn, user: string, host: string): Promise<boolean> {
  const [rows] = await conn.query<Rows>('SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?', [user, host]);
  return rows.length > 0;
}

/** Locks the account so no new session can start while it is being removed. */
export async function lockUser(conn: Conn, user: string, host: string): Promise<void> {
  await conn.query(`ALTER USER IF EXISTS ${account(user, host)} ACCOUNT LOCK`);
}

/** Kills every connection of the user (they keep running after DROP USER otherwise); returns how many. */
export async function killSessions(conn: Conn, user: string): Promise<number> {
  const [rows] = await conn.query<Rows>('SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()', [user]);
  let killed = 0;
  for (const { ID } of rows) {
    try {
      await conn.query(`KILL CONNECTION ${Number(ID)}`);
      killed++;
    } catch (err) {
      // 1094: the connection ended between the listing and the kill.
      if ((err as { errno?: number }).errno !== 1094) throw err;
    }
  }
  return killed;
}

/** Runs the role's revocation statements (only `{{name}}`, the quoted account). */
export async function runRevocationStatements(conn: Conn, role: RoleDefinition | undefined, user: string, host: string): Promise<void> {
  const who = account(user, host);
  for (const sql of role?.revocation_statements ?? []) await conn.query(render(parseStatement(sql), () => who));
}

/** Drops the account if it exists; true if this call dropped it. */
export async function dropUser(conn: Conn, user: string, host: string): Promise<boolean> {
  if (!(await userExists(conn, user, host))) return false;
  await conn.query(`DROP USER IF EXISTS ${account(user, host)}`);
  return true;
}

/** Accounts with the prefix, joined with their intent rows; rows whose account was never created come too. */
export async function listUsers(conn: Conn, schema: string, prefix: string): Promise<Array<{ name: string; host: string | undefined; intent: UserIntent | undefined }>> {
  const [accounts] = await conn.query<Rows>('SELECT User, Host FROM mysql.user WHERE LEFT(User, CHAR_LENGTH(?)) = ?', [prefix, prefix]);
  const [intents] = await conn.query<Rows>(`SELECT * FROM ${mysql.escapeId(schema)}.issued_users WHERE LEFT(username, CHAR_LENGTH(?)) = ?`, [prefix, prefix]);
  const byName = new Map<string, { name: string; host: string | undefined; intent: UserIntent | undefined }>();
  for (const row of intents) {
    byName.set(String(row.username), {
      name: String(row.username),
      host: String(row.user_host),
      intent: { jobId: String(row.job_id), tenant: String(row.tenant), jobExpiresAt: Number(row.job_expires_at), createdAt: Number(row.created_at), role: String(row.role ?? '') },
    });
  }
  for (const row of accounts) if (!byName.has(String(row.User))) byName.set(String(row.User), { name: String(row.User), host: String(row.Host), intent: undefined });
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
