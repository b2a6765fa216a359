/**
 * SigV4 presence check for the AWS emulators. It does not recompute the signature (that would re-implement
 * the SDK under test); it checks what AWS checks first and what a test can assert: an Authorization header in
 * the AWS4-HMAC-SHA256 form, an X-Amz-Date, and a credential scope naming this service and region.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface SignedBy {
  accessKeyId: string;
  region: string;
  service: string;
  sessionToken: string | undefined;
}

export interface SignatureProblem {
  /** AWS error code; `json` protocols add an `Exception` suffix to some of these (see the callers). */
  code: 'MissingAuthenticationToken' | 'IncompleteSignature' | 'SignatureDoesNotMatch';
  status: number;
  message: string;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]{4,128})\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Parses and checks the SigV4 headers of a request. */
export function checkSigV4(headers: IncomingHttpHeaders, service: string, region: string): SignedBy | SignatureProblem {
  const authorization = headers.authorization;
  if (authorization === undefined) {
    return { code: 'MissingAuthenticationToken', status: 403, message: 'Request is missing Authentication Token' };
  }
  const match = AUTHORIZATION.exec(authorization);
  const amzDate = headers['x-amz-date'];
  if (match === null || typeof amzDate !== 'string' || !/^\d{8}T\d{6}Z$/.test(amzDate)) {
    return { code: 'IncompleteSignature', status: 400, message: 'The request signature does not conform to AWS standards' };
  }
  const [, accessKeyId, day, scopeRegion, scopeService, signedHeaders] = match;
  if (day !== amzDate.slice(0, 8) || !signedHeaders!.split(';').includes('host')) {
    return { code: 'IncompleteSignature', status: 400, message: 'The request signature does not conform to AWS standards' };
  }
  if (scopeService !== service || scopeRegion !== region) {
    return { code: 'SignatureDoesNotMatch', status: 403, message: `Credential should be scoped to ${region}/${service}` };
  }
  const token = headers['x-amz-security-token'];
  return { accessKeyId: accessKeyId!, region: scopeRegion, service: scopeService, sessionToken: typeof token === 'string' ? token : undefined };
}

/** Narrows the result of `checkSigV4`. */
export function isProblem(result: SignedBy | SignatureProblem): result is SignatureProblem {
  return 'code' in result;
}
