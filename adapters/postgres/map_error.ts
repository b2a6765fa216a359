/**
 * Turns whatever `pg` threw into a typed AdapterError. The reason names the action and the SQLSTATE or network
 * code; the server's message stays in `cause` (it can quote a statement, and our statements hold names).
 */
import { AdapterError } from '../contract.ts';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** The SQLSTATE of a server error, if it is one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Maps an error from a PostgreSQL call to an AdapterError; `action` names the call, e.g. `issue`. */
export function mapPgError(err: unknown, action: string): AdapterError {
  if (err instanceof AdapterError) return err;
  const reason = (what: string) => `postgres ${action}: ${what}`;
  const state = sqlState(err);
  if (state !== undefined) {
    if (state === '28P01' || state === '28000' || state === '42501') return new AdapterError('permission_denied', reason(`SQLSTATE ${state}`), { cause: err });
    if (state === '42704') return new AdapterError('not_found', reason(`SQLSTATE ${state}`), { cause: err });
    if (state === '57014') return new AdapterError('timeout', reason('statement timeout'), { cause: err });
    // Connection loss, admin shutdown, resources, serialization and lock conflicts, "tuple concurrently updated".
    if (/^(08|53|57|40|55|58|XX)/.test(state)) return new AdapterError('unavailable', reason(`SQLSTATE ${state}`), { cause: err });
    if (/^(42|22|0A)/.test(state)) return new AdapterError('invalid_reference', reason(`SQLSTATE ${state}`), { cause: err });
    return new AdapterError('unavailable', reason(`SQLSTATE ${state}`), { cause: err });
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return new AdapterError('unavailable', reason(code), { cause: err });
  if (typeof code === 'string' && /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return new AdapterError('unavailable', reason(`TLS verification failed (${code})`), { cause: err });
  // pg reports a connection that dies under a query as a plain Error ("Connection terminated…").
  if (err instanceof Error && /connection|terminat|timeout/i.test(err.message)) return new AdapterError('unavailable', reason('connection lost'), { cause: err });
  return new AdapterError('unavailable', reason('unexpected client error'), { cause: err });
}
