/**
 * Adds the credential to an upstream request, in one of three ways: a header template (`Bearer {value}`,
 * `token {value}`, a custom header), HTTP Basic from a `{username, password}` secret, or AWS SigV4 re-signing with
 * the lease's keys (the executor signed with placeholders; those headers were stripped). Also returns the forms
 * in which the credential went out, so the response can be checked for an echo of any of them.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SecretPayload } from '../../adapters/contract.ts';
import { deny } from '../errors.ts';
import type { Injection } from './config.ts';

export interface OutgoingRequest {
  method: string;
  /** Upstream URL (origin, raw path and raw query): only SigV4 reads it (it signs host, path and query). */
  url?: URL | undefined;
  headers: OutgoingHttpHeaders;
  /** The whole body; only SigV4 needs it buffered (the signature covers its hash). */
  body?: Buffer | undefined;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData): Uint8Array | string => (typeof d === 'string' ? d : ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d));

/** node:crypto behind the `Checksum` interface @smithy/signature-v4 expects (HMAC when given a key). */
class NodeSha256 {
  private hash: Hash | Hmac;
  private readonly secret: Uint8Array | string | undefined;
  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : bytes(secret);
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

const notUsable = (why: string) => deny('unavailable', 'proxy', `the secret cannot be injected: ${why}`);

function field(value: SecretPayload, name: string | undefined): string {
  if (typeof value === 'string') {
    if (name === undefined) return value;
    throw notUsable(`field ${name} asked of a plain secret`);
  }
  if (name === undefined) throw notUsable('a secret with fields needs inject.field');
  const v = value[name];
  if (v === undefined) throw notUsable(`no field ${name}`);
  return v;
}

/** Sets the credential on `request` (in place); returns the credential strings that must never be echoed back. */
export async function inject(injection: Injection, value: SecretPayload, request: OutgoingRequest, now: Date): Promise<string[]> {
  if (injection.kind === 'header') {
    const credential = field(value, injection.field);
    if (/[\r\n\0]/.test(credential)) throw notUsable('the value has CR, LF or NUL');
    request.headers[injection.header] = injection.template.replace('{value}', credential);
    return [credential, String(request.headers[injection.header])];
  }
  if (injection.kind === 'basic') {
    const username = field(value, injection.username_field);
    const password = field(value, injection.password_field);
    if (username.includes(':')) throw notUsable('the username has a colon');
    const encoded = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
    request.headers.authorization = `Basic ${encoded}`;
    return [password, encoded];
  }
  const url = request.url;
  if (url === undefined) throw new Error('SigV4 signing needs the upstream URL');
  const accessKeyId = field(value, 'access_key_id');
  const secretAccessKey = field(value, 'secret_access_key');
  const sessionToken = typeof value === 'object' ? value.session_token : undefined;
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) },
    region: injection.region,
    service: injection.service,
    sha256: NodeSha256,
    // S3 signs the path as sent; every other service signs it URI-encoded once more (SigV4 canonical URI rules).
    uriEscapePath: injection.service !== 's3',
  });
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const previous = query[k];
    query[k] = previous === undefined ? v : Array.isArray(previous) ? [...previous, v] : [previous, v];
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
  const signed = await signer.sign(
    { method: request.method, protocol: 'https:', hostname: url.hostname, port: url.port === '' ? undefined : Number(url.port), path: url.pathname, query, headers, body: request.body ?? '' },
    { signingDate: now },
  );
  request.headers = { ...signed.headers };
  return [secretAccessKey, ...(sessionToken === undefined ? [] : [sessionToken])];
}
