/**
 * Turns whatever node-vault or axios threw into a typed AdapterError. The backend's error text goes only into
 * `cause`; the reason names the action and the HTTP status or network error code, nothing Vault wrote.
 */
import { AdapterError } from '../contract.ts';

/** What node-vault's ApiResponseError carries: the status and the parsed body. */
interface ApiResponse {
  statusCode: number;
  body: unknown;
}

/** Network failures that mean "Vault is not reachable right now". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_NETWORK',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** The HTTP status of a node-vault API error, if it is one. */
export function vaultStatus(err: unknown): number | undefined {
  const response = (err as { response?: Partial<ApiResponse> } | null)?.response;
  return typeof response?.statusCode === 'number' ? response.statusCode : undefined;
}

/** Vault's `errors` array of a failed response (for classification only; never copied into a reason). */
export function vaultErrorTexts(err: unknown): string[] {
  const body = (err as { response?: Partial<ApiResponse> } | null)?.response?.body;
  const errors = (body as { errors?: unknown } | null | undefined)?.errors;
  return Array.isArray(errors) ? errors.filter((e): e is string => typeof e === 'string') : [];
}

/** Maps an error from a Vault call to an AdapterError; `action` names the call, e.g. `read kv`. */
export function mapVaultError(err: unknown, action: string): AdapterError {
  if (err instanceof AdapterError) return err;
  const status = vaultStatus(err);
  if (status !== undefined) return fromStatus(status, action, err);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) {
    return new AdapterError('unavailable', `vault ${action}: ${code}`, { cause: err });
  }
  if (typeof code === 'string' && /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return new AdapterError('unavailable', `vault ${action}: TLS verification of Vault failed (${code})`, { cause: err });
  }
  // node-vault validates request arguments with tv4 and rejects with a plain object, not an Error.
  if (typeof err === 'object' && err !== null && !(err instanceof Error) && 'dataPath' in err) {
    return new AdapterError('invalid_reference', `vault ${action}: request rejected by client-side validation`, { cause: err });
  }
  return new AdapterError('unavailable', `vault ${action}: unexpected client error`, { cause: err });
}

function fromStatus(status: number, action: string, cause: unknown): AdapterError {
  const reason = `vault ${action}: HTTP ${status}`;
  if (status === 404) return new AdapterError('not_found', reason, { cause });
  if (status === 401 || status === 403) return new AdapterError('permission_denied', reason, { cause });
  if (status === 429) return new AdapterError('throttled', reason, { cause });
  // 412: a performance standby has not caught up yet (Vault's eventual consistency); worth a retry.
  if (status >= 500 || status === 412) return new AdapterError('unavailable', reason, { cause });
  if (status === 400 || status === 405) return new AdapterError('invalid_reference', reason, { cause });
  return new AdapterError('unavailable', reason, { cause });
}
