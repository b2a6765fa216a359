/**
 * An independent SigV4 verifier for the test upstream, written from the AWS "Create a signed AWS API request"
 * steps (canonical request, string to sign, derived signing key) with node:crypto only — deliberately not the
 * @smithy/signature-v4 the proxy signs with, so the test can catch a proxy that signs the wrong thing.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
// RFC 3986 unreserved characters stay; everything else is %XX (encodeURIComponent leaves !'()* alone).
const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  return rawQuery
    .split('&')
    .map((pair) => {
      const [k = '', v = ''] = pair.split('=');
      return [encode(decodeURIComponent(k)), encode(decodeURIComponent(v))] as const;
    })
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** Undefined when the request is signed by a known key for `service`/`region`; otherwise what is wrong. */
export function verifySigV4(
  req: IncomingMessage,
  body: string,
  service: string,
  region: string,
  keyOf: (accessKeyId: string) => { secretAccessKey: string; sessionToken?: string | undefined } | undefined,
): string | undefined {
  const match = AUTH.exec(String(req.headers.authorization ?? ''));
  if (match === null) return 'no SigV4 authorization header';
  const [, accessKeyId, day, scopeRegion, scopeService, signedHeaders, signature] = match as unknown as string[];
  if (scopeRegion !== region || scopeService !== service) return 'wrong credential scope';
  const key = keyOf(accessKeyId!);
  if (key === undefined) return `unknown access key ${accessKeyId}`;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(day!)) return 'x-amz-date does not match the scope date';
  if (Math.abs(Date.parse(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`) - Date.now()) > 5 * 60_000) return 'request too old';
  if (key.sessionToken !== undefined && req.headers['x-amz-security-token'] !== key.sessionToken) return 'wrong session token';
  const names = signedHeaders!.split(';');
  if (!names.includes('host')) return 'host is not signed';
  const bodyHash = sha256(body);
  const declared = req.headers['x-amz-content-sha256'];
  if (declared !== undefined && declared !== bodyHash) return 'x-amz-content-sha256 does not match the body';
  const [rawPath = '/', rawQuery = ''] = req.url!.split('?');
  const canonicalUri = encode(rawPath).replace(/%2F/g, '/');
  const canonicalHeaders = names.map((n) => {
    const value = req.headers[n];
    const text = Array.isArray(value) ? value.join(',') : String(value ?? '');
    return `${n}:${text.trim().replace(/\s+/g, ' ')}\n`;
  }).join('');
  const canonicalRequest = [req.method, canonicalUri, canonicalQuery(rawQuery), canonicalHeaders, signedHeaders, bodyHash].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${key.secretAccessKey}`, day!), region), service), 'aws4_request');
  const expected = createHmac('sha256', signingKey).update(stringToSign).digest();
  return timingSafeEqual(expected, Buffer.from(signature!, 'hex')) ? undefined : 'signature does not match';
}
