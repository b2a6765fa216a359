/**
 * Turns whatever mysql2 threw into a typed AdapterError. The reason names the action and the server error code;
 * the server's message stays in `cause` (it can quote a statement, and our statements hold account names).
 */
import { AdapterError } from '../contract.ts';

/** Server error numbers by what they mean for a caller. */
const DENIED = new Set([1044, 1045, 1142, 1143, 1227, 1370, 1698]);
const TRANSIENT = new Set([1040, 1053, 1205, 1213, 1317, 1927, 2006, 2013, 1152, 1158, 1159, 1160, 1161, 1203]);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'POOL_CLOSED']);

/** The server error number of a mysql2 error, if it is one. */
export function mysqlErrno(err: unknown): number | undefined {
  const errno = (err as { errno?: unknown } | null)?.errno;
  const sqlState = (err as { sqlState?: unknown } | null)?.sqlState;
  return typeof errno === 'number' && typeof sqlState === 'string' ? errno : undefined;
}

/**
 * What of a server error may be kept as a cause. The server's message can quote the statement (1064 quotes it
 * from the error point on), and mysql2 inlines bound values client-side, so it can hold a new user's password;
 * the error middleware logs the cause chain, so only the error number, SQLSTATE and code survive.
 */
function serverCause(err: unknown, errno: number): Error {
  const { sqlState, code } = err as { sqlState?: unknown; code?: unknown };
  return Object.assign(new Error(`mysql server error ${errno} (SQLSTATE ${String(sqlState)}); message withheld, it can quote the statement`), {
    code: typeof code === 'string' ? code : undefined,
    errno,
  });
}

/** Maps an error from a MySQL/MariaDB call to an AdapterError; `action` names the call. */
export function mapMysqlError(caught: unknown, action: string): AdapterError {
  if (caught instanceof AdapterError) return caught;
  const reason = (what: string) => `mysql ${action}: ${what}`;
  const errno = mysqlErrno(caught);
  const err = errno === undefined ? caught : serverCause(caught, errno);
  if (errno !== undefined) {
    if (DENIED.has(errno)) return new AdapterError('permission_denied', reason(`server error ${errno}`), { cause: err });
    if (TRANSIENT.has(errno)) return new AdapterError('unavailable', reason(`server error ${errno}`), { cause: err });
    if (errno === 3024 || errno === 1969) return new AdapterError('timeout', reason('statement timeout'), { cause: err });
    // Syntax errors, unknown roles or tables: the configuration is wrong, a retry will not help.
    return new AdapterError('invalid_reference', reason(`server error ${errno}`), { cause: err });
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK.has(code)) return new AdapterError('unavailable', reason(code), { cause: err });
  if (typeof code === 'string' && /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|HANDSHAKE/.test(code)) return new AdapterError('unavailable', reason(`TLS failed (${code})`), { cause: err });
  if (err instanceof Error && /closed state|connection|timeout/i.test(err.message)) return new AdapterError('unavailable', reason('connection lost'), { cause: err });
  return new AdapterError('unavailable', reason('unexpected client error'), { cause: err });
}
