/**
 * Key Vault failures → AdapterError. The SDK's RestError stays in `cause`; reasons are written here and never
 * copy the service's message. RestError is recognised by shape so that this file needs no import from
 * @azure/core-rest-pipeline (a transitive dependency only).
 */
import { AdapterError } from '../contract.ts';

interface RestErrorShape {
  name?: string;
  code?: string;
  statusCode?: number;
  response?: { headers: { get(name: string): string | undefined } };
}

/** Maps a rejection of SecretClient (or of the credential behind it) to a typed AdapterError. */
export function mapAzureError(err: unknown): AdapterError {
  if (err instanceof AdapterError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as RestErrorShape;
  if (e.name === 'AbortError') return new AdapterError('timeout', 'request aborted', { cause: err });
  if (e.name === 'CredentialUnavailableError' || e.name === 'AuthenticationError') {
    return new AdapterError('unavailable', 'the gateway could not obtain an Azure token', { cause: err });
  }
  const status = e.statusCode;
  const retryAfter = retryAfterSeconds(e.response?.headers);
  if (status === 404) return new AdapterError('not_found', 'secret or version does not exist', { cause: err });
  if (status === 401) return new AdapterError('permission_denied', 'the gateway token was rejected', { cause: err });
  if (status === 403) {
    return new AdapterError('permission_denied', 'the gateway identity may not get this secret (or it is disabled)', {
      cause: err,
    });
  }
  if (status === 429) return new AdapterError('throttled', 'vault throttled the request', { cause: err, retryAfter });
  if (status === 408) return new AdapterError('timeout', 'vault request timed out', { cause: err });
  if (status === 400) return new AdapterError('invalid_reference', 'vault rejected the request', { cause: err });
  if (status !== undefined && status >= 500) {
    return new AdapterError('unavailable', `vault answered ${status}`, { cause: err, retryAfter });
  }
  // No status: the request never got an answer (connection refused, TLS failure, DNS).
  return new AdapterError('unavailable', status === undefined ? 'vault unreachable' : `vault answered ${status}`, {
    cause: err,
  });
}

/**
 * Seconds to wait from `Retry-After` (delta-seconds or an HTTP date), or from the millisecond variants Azure
 * services also send. Undefined when absent or unreadable.
 */
export function retryAfterSeconds(
  headers: { get(name: string): string | undefined } | undefined,
  now: number = Date.now(),
): number | undefined {
  if (headers === undefined) return undefined;
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const ms = headers.get(name);
    if (ms !== undefined && /^\d+$/.test(ms.trim())) return Math.ceil(Number(ms) / 1000);
  }
  const value = headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
