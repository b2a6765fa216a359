/**
 * Turns whatever an AWS SDK call threw into a typed AdapterError. The SDK error is kept as `cause` for
 * operators; the reason is written here and names at most the AWS error code (a fixed identifier), never the
 * backend's message text. Retry-After style hints from AWS are deliberately not passed on.
 */
import { AdapterError, type AdapterErrorKind } from '../contract.ts';

const notFound = new Set(['ResourceNotFoundException']);
// Secrets Manager answers InvalidRequestException for a secret scheduled for deletion or a version that is
// not in a readable state: to the caller that secret does not exist.
const notReadable = new Set(['InvalidRequestException']);
const denied = new Set(['AccessDeniedException', 'AccessDenied']);
const invalid = new Set([
  'InvalidParameterException',
  'ValidationException',
  'ValidationError',
  'MalformedPolicyDocument',
  'MalformedPolicyDocumentException',
  'PackedPolicyTooLarge',
  'PackedPolicyTooLargeException',
]);
const throttled = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
]);
// The gateway's own identity was refused: not the executor's fault, so not `permission_denied`.
const gatewayIdentity = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'CredentialsProviderError',
]);

interface SdkErrorLike {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** An AWS error code is a short identifier; anything else is not echoed into a reason. */
function safeCode(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z0-9_.]{1,64}$/.test(value) ? value : 'unknown';
}

function classify(name: string, status: number | undefined, fault: unknown): [AdapterErrorKind, string] {
  if (notFound.has(name)) return ['not_found', 'secret not found'];
  if (notReadable.has(name)) return ['not_found', 'secret not readable in its current state (deleted or disabled)'];
  if (denied.has(name)) return ['permission_denied', 'AWS denied access to this resource'];
  if (name === 'DecryptionFailure') {
    return ['unavailable', 'KMS could not decrypt the secret (key disabled, pending deletion or not usable by the gateway)'];
  }
  if (invalid.has(name)) return ['invalid_reference', `AWS rejected the request parameters (${name})`];
  if (throttled.has(name) || status === 429) return ['throttled', `AWS throttled the request (${name})`];
  if (gatewayIdentity.has(name)) return ['unavailable', `AWS rejected the gateway's own credentials (${name})`];
  if (name === 'RegionDisabledException') return ['unavailable', 'STS is not activated in this region for the account'];
  if (fault === 'server' || (status !== undefined && status >= 500)) return ['unavailable', `AWS server error (${name})`];
  return ['unavailable', `unexpected AWS error (${name})`];
}

/** Maps an SDK or transport error (or an abort) to an AdapterError; `what` names the operation for the reason. */
export function mapAwsError(err: unknown, what: string, signal: AbortSignal): AdapterError {
  if (err instanceof AdapterError) return err;
  if (signal.aborted) return new AdapterError('timeout', `${what}: aborted (mount timeout or cancellation)`, { cause: err });
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorLike;
  const name = safeCode(e.name);
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  // The SDK names a reset keep-alive socket "TimeoutError" too: the errno code says what really happened.
  if (status === undefined && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code) && e.code !== 'ETIMEDOUT') {
    return new AdapterError('unavailable', `${what}: endpoint unreachable (${e.code})`, { cause: err });
  }
  if (name === 'TimeoutError' || name === 'AbortError' || e.code === 'ETIMEDOUT') {
    return new AdapterError('timeout', `${what}: timed out`, { cause: err });
  }
  const [kind, reason] = classify(name, status, e.$fault);
  return new AdapterError(kind, `${what}: ${reason}`, { cause: err });
}
