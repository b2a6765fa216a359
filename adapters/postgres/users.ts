/**
 * The SQL of issuing, renewing and revoking one PostgreSQL user. Every name is quoted with `escapeIdentifier` and
 * every value with `escapeLiteral` (DDL takes no bind parameters); user names are `[a-z0-9_]` besides.
 * Creation runs in one transaction with the intent comment, so the server never holds a crefgate user that does
 * not say which job it belongs to.
 */
import { escapeIdentifier, escapeLiteral, type PoolClient } from 'pg';
import type { RoleDefinition } from '../sql_users/options.ts';
import { intentText, type UserIntent } from '../sql_users/lease.ts';
import { parseStatement, render } from '../sql_users/statements.ts';

/** What a revoke did, for the audit trail. */
export interface PgRevokeOutcome {
  user: string;
  sessions_terminated: number;
  user_dropped: boolean;
  already_gone: boolean;
  [key: string]: string | number | boolean;
}

/**
 * Creates the user, its grants and its intent comment in one transaction, sent as ONE simple-protocol query:
 * one round trip instead of five, and PostgreSQL runs a multi-statement query as a single transaction anyway.
 * Every piece is an escaped identifier or literal, or an operator statement checked to be a single one.
 */
export async function createUser(client: PoolClient, role: RoleDefinition, user: { name: string; verifier: string; validUntil: Date }, intent: UserIntent): Promise<void> {
  const name = escapeIdentifier(user.name);
  const expiration = escapeLiteral(user.validUntil.toISOString());
  const statements: string[] = [];
  if (role.creation_statements !== undefined) {
    const values = { name, password: escapeLiteral(user.verifier), expiration };
    for (const sql of role.creation_statements) statements.push(render(parseStatement(sql), (p) => values[p]));
  } else {
    // INHERIT (the default) is what makes the group roles' privileges the user's without SET ROLE.
    statements.push(`CREATE ROLE ${name} LOGIN INHERIT PASSWORD ${escapeLiteral(user.verifier)} VALID UNTIL ${expiration}`);
    statements.push(`GRANT ${role.grant_roles!.map(escapeIdentifier).join(', ')} TO ${name}`);
  }
  // REASSIGN OWNED at revocation needs the admin to be a member of the user; a superuser is anyway, a
  // CREATEROLE admin only through this grant (PostgreSQL 16 adds it by itself).
  statements.push(`GRANT ${name} TO CURRENT_USER`);
  statements.push(`COMMENT ON ROLE ${name} IS ${escapeLiteral(intentText(intent))}`);
  await client.query(['BEGIN', ...statements, 'COMMIT'].join(';\n'));
}

/** Moves VALID UNTIL; false when the user does not exist. */
export async function setValidUntil(client: PoolClient, username: string, until: Date): Promise<boolean> {
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]);
  if (exists.rowCount === 0) return false;
  await client.query(`ALTER ROLE ${escapeIdentifier(username)} VALID UNTIL ${escapeLiteral(until.toISOString())}`);
  return true;
}

/** True when the role exists. */
export async function roleExists(client: PoolClient, username: string): Promise<boolean> {
  return ((await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username])).rowCount ?? 0) > 0;
}

/** Refuses new logins of the user (the first step of revocation, so no session can start while we clean up). */
export async function blockLogin(client: PoolClient, username: string): Promise<void> {
  await client.query(`ALTER ROLE ${escapeIdentifier(username)} NOLOGIN`);
}

/** Ends every session of the user, waiting up to 2 s for each backend to exit; returns how many ended. */
export async function terminateSessions(client: PoolClient, username: string): Promise<number> {
  const result = await client.query<{ ended: string }>(
    'SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 2000)) AS ended FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()',
    [username],
  );
  return Number(result.rows[0]?.ended ?? 0);
}

/** Hands the user's objects in this database to `owner` and drops its privileges here (per database). */
export async function dropOwned(client: PoolClient, username: string, owner: string): Promise<void> {
  const name = escapeIdentifier(username);
  await client.query(`REASSIGN OWNED BY ${name} TO ${escapeIdentifier(owner)}`);
  await client.query(`DROP OWNED BY ${name}`);
}

/** Runs the role's revocation statements (only `{{name}}`). */
export async function runRevocationStatements(client: PoolClient, role: RoleDefinition | undefined, username: string): Promise<void> {
  const name = escapeIdentifier(username);
  for (const sql of role?.revocation_statements ?? []) await client.query(render(parseStatement(sql), () => name));
}

/** Drops the user if it exists; true if this call dropped it. */
export async function dropRole(client: PoolClient, username: string): Promise<boolean> {
  if (!(await roleExists(client, username))) return false;
  await client.query(`DROP ROLE IF EXISTS ${escapeIdentifier(username)}`);
  return true;
}

/** Users whose name starts with `prefix`, with their intent comment. */
export async function listUsers(client: PoolClient, prefix: string): Promise<Array<{ name: string; comment: string | null }>> {
  const result = await client.query<{ name: string; comment: string | null }>(
    "SELECT rolname AS name, shobj_description(oid, 'pg_authid') AS comment FROM pg_roles WHERE left(rolname, length($1)) = $1 ORDER BY rolname",
    [prefix],
  );
  return result.rows;
}
