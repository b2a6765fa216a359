/**
 * gRPC status → AdapterError. The SDK error stays in `cause` for operators; the reason is written here and
 * never copies the server's message. Codes are numbers from the gRPC spec (kept local so that importing this
 * file does not load grpc-js).
 */
import { AdapterError } from '../contract.ts';

const Status = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Maps a rejection of the Secret Manager client to a typed AdapterError. */
export function mapGcpError(err: unknown): AdapterError {
  if (err instanceof AdapterError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case Status.NOT_FOUND:
      return new AdapterError('not_found', 'secret or version does not exist', { cause: err });
    case Status.FAILED_PRECONDITION:
      // Secret Manager answers this for a disabled or destroyed version: there is no value to hand out.
      return new AdapterError('not_found', 'secret version is disabled or destroyed', { cause: err });
    case Status.PERMISSION_DENIED:
      return new AdapterError('permission_denied', 'the gateway identity may not access this secret', { cause: err });
    case Status.UNAUTHENTICATED:
      // The gateway's own credentials were refused: not the executor's fault, and retrying will not help.
      return new AdapterError('permission_denied', 'the gateway credentials were rejected', { cause: err });
    case Status.INVALID_ARGUMENT:
      return new AdapterError('invalid_reference', 'the service rejected the resource name', { cause: err });
    case Status.RESOURCE_EXHAUSTED:
      return new AdapterError('throttled', 'quota exhausted', { cause: err });
    case Status.UNAVAILABLE:
      return new AdapterError('unavailable', 'service unavailable', { cause: err });
    case Status.DEADLINE_EXCEEDED:
      return new AdapterError('timeout', 'deadline exceeded', { cause: err });
    case Status.CANCELLED:
      return new AdapterError('timeout', 'call cancelled', { cause: err });
    case Status.INTERNAL:
    case Status.UNKNOWN:
      return new AdapterError('unavailable', 'service error', { cause: err });
    default:
      // Includes failures before any call (e.g. Application Default Credentials not found).
      return new AdapterError('unavailable', `client error (code ${typeof code === 'number' ? code : 'none'})`, {
        cause: err,
      });
  }
}
