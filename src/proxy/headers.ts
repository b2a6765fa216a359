/**
 * Which headers cross the proxy, each way. Toward the upstream: the executor's own headers minus hop-by-hop ones,
 * minus anything that carries or names credentials (its placeholder `Authorization`, SigV4 headers, the injected
 * header itself), with `Host` set to the upstream. Back to the executor: the upstream's headers minus hop-by-hop
 * ones and minus any header that echoes the credential. Framing is refused when ambiguous, never repaired.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { deny } from '../errors.ts';

// RFC 9110 §7.6.1 hop-by-hop headers, plus the proxy ones and `expect` (Node answers 100-continue itself).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'host', 'http2-settings']);
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'x-amz-security-token', 'x-amz-date', 'x-amz-content-sha256']);
const NEVER_BACK = new Set(['authorization', 'proxy-authorization', 'x-amz-security-token']);
const CR_LF_NUL = /[\r\n\0]/;

/** Bytes of the request head as received: names, values and their separators. */
export function headerBytes(rawHeaders: string[]): number {
  let total = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) total += rawHeaders[i]!.length + rawHeaders[i + 1]!.length + 4;
  return total;
}

/** Refuses heads that another HTTP parser could frame or route differently (request smuggling, header injection). */
export function checkRequestHead(headers: IncomingHttpHeaders, rawHeaders: string[], maxHeaderBytes: number, expectedAuthority: string): void {
  if (headerBytes(rawHeaders) > maxHeaderBytes) throw deny('payload_too_large', 'proxy', `request headers over ${maxHeaderBytes} bytes`);
  // One pass over the raw head: control bytes in values, and how many Host lines (the parsed `headers` keep one).
  let hosts = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (CR_LF_NUL.test(rawHeaders[i + 1]!)) throw deny('malformed', 'proxy', 'a header value has CR, LF or NUL');
    const name = rawHeaders[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts += 1;
  }
  // Node's parser already refuses both together; this stays so that a lenient parser option cannot reopen it.
  if (headers['transfer-encoding'] !== undefined && headers['content-length'] !== undefined) throw deny('malformed', 'proxy', 'both Content-Length and Transfer-Encoding');
  if (hosts !== 1 || headers.host?.toLowerCase() !== expectedAuthority.toLowerCase()) throw deny('malformed', 'proxy', 'Host does not name this gateway');
}

/** The executor's headers as they go upstream, `strip` (lower-case names) removed and `host` set. */
export function upstreamHeaders(rawHeaders: string[], host: string, strip: ReadonlySet<string>): OutgoingHttpHeaders {
  const named = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'connection') for (const token of rawHeaders[i + 1]!.split(',')) named.add(token.trim().toLowerCase());
  }
  const out: OutgoingHttpHeaders = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || CREDENTIAL_HEADERS.has(name) || named.has(name) || strip.has(name) || name.startsWith('x-crefgate-')) continue;
    const value = rawHeaders[i + 1]!;
    const previous = out[name];
    out[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [String(previous), value];
  }
  out.host = host;
  return out;
}

/** Whether a header value carries one of the credential's sent forms (shorter than 4 characters: too common to tell). */
export function echoesSecret(value: string, secrets: readonly string[]): boolean {
  return secrets.some((s) => s.length >= 4 && value.includes(s));
}

/**
 * The upstream's headers as they go back: hop-by-hop and credential headers removed, and any header whose value
 * contains one of `secrets` (the credential in the forms it was sent) dropped. Returns the names dropped for echo.
 */
export function responseHeaders(rawHeaders: string[], secrets: readonly string[]): { headers: OutgoingHttpHeaders; echoed: string[] } {
  const named = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'connection') for (const token of rawHeaders[i + 1]!.split(',')) named.add(token.trim().toLowerCase());
  }
  const headers: OutgoingHttpHeaders = {};
  const echoed: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    if (HOP_BY_HOP.has(name) || named.has(name) || NEVER_BACK.has(name)) continue;
    if (echoesSecret(value, secrets)) {
      echoed.push(name);
      continue;
    }
    const previous = headers[name];
    headers[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [String(previous), value];
  }
  return { headers, echoed };
}
