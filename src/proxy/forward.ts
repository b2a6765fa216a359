/**
 * One upstream exchange over TLS that verifies the upstream's certificate: send the request, wait for the
 * response head, then stream the body back. Bounded everywhere: an idle upstream is cut after the timeout, a
 * response past its size limit is cut, and the lease cut-off aborts the exchange wherever it is. Failures before
 * the response head are typed GatewayErrors (the error middleware answers them); after it, the connection is cut.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import https from 'node:https';
import { GatewayError, deny } from '../errors.ts';
import type { UpstreamPlan } from './upstream_plan.ts';

export interface UpstreamRequest {
  method: string;
  /** Where to connect (the route's upstream, worked out once). */
  plan: Pick<UpstreamPlan, 'hostname' | 'port' | 'servername'>;
  /** Raw path and query, exactly as checked (never re-serialised from a URL). */
  target: string;
  headers: OutgoingHttpHeaders;
  body: Buffer | undefined;
  agent: https.Agent;
  timeoutMs: number;
  signal: AbortSignal;
}

// Bodies are buffered, so the length is always known: no chunked framing reaches the upstream. Set on the
// request's own header object (built for this one request), not on a copy.
function setContentLength(headers: OutgoingHttpHeaders, method: string, body: Buffer | undefined): OutgoingHttpHeaders {
  if (body !== undefined) headers['content-length'] = String(body.length);
  else if (method === 'POST' || method === 'PUT' || method === 'PATCH') headers['content-length'] = '0';
  return headers;
}

/** Sends the request; resolves with the upstream's response head (its body not yet read). */
export function sendUpstream(request: UpstreamRequest): Promise<IncomingMessage> {
  return new Promise<IncomingMessage>((resolve, reject) => {
    if (request.signal.aborted) return reject(request.signal.reason as Error);
    const upstream = https.request({
      protocol: 'https:',
      hostname: request.plan.hostname,
      port: request.plan.port,
      servername: request.plan.servername,
      method: request.method,
      path: request.target,
      headers: setContentLength(request.headers, request.method, request.body),
      agent: request.agent,
      timeout: request.timeoutMs,
    });
    const onAbort = () => upstream.destroy(request.signal.reason as Error);
    request.signal.addEventListener('abort', onAbort, { once: true });
    upstream.on('timeout', () => upstream.destroy(deny('unavailable', 'proxy', `upstream sent no response within ${request.timeoutMs} ms`)));
    upstream.on('error', (err) => {
      request.signal.removeEventListener('abort', onAbort);
      // Certificate, DNS and connection failures all look the same to the executor; the reason says which.
      reject(err instanceof GatewayError ? err : deny('unavailable', 'proxy', `upstream unreachable: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    });
    upstream.on('response', (res) => {
      request.signal.removeEventListener('abort', onAbort);
      resolve(res);
    });
    upstream.end(request.body);
  });
}

export interface Streamed {
  bytesOut: number;
  /** Why the body was cut short, if it was. */
  cut?: string | undefined;
}

/** Streams the upstream body to the client; cut at `maxBytes`, on idle timeout, on cut-off, or when the client leaves. */
export function streamBack(upstream: IncomingMessage, client: ServerResponse, maxBytes: number, timeoutMs: number, signal: AbortSignal): Promise<Streamed> {
  return new Promise<Streamed>((resolve) => {
    let bytesOut = 0;
    let done = false;
    const finish = (cut?: string) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      // The socket goes back to the keep-alive pool: leave no listener or timer of this exchange on it.
      socket?.off('timeout', onIdle);
      socket?.setTimeout(0);
      if (cut !== undefined) {
        upstream.destroy();
        client.destroy();
      }
      resolve({ bytesOut, cut });
    };
    const socket = upstream.socket;
    const onIdle = () => finish(`upstream idle for ${timeoutMs} ms`);
    const onAbort = () => finish((signal.reason as GatewayError | undefined)?.reason ?? 'cut off');
    signal.addEventListener('abort', onAbort, { once: true });
    socket?.on('timeout', onIdle);
    socket?.setTimeout(timeoutMs);
    upstream.on('data', (chunk: Buffer) => {
      bytesOut += chunk.length;
      if (bytesOut > maxBytes) return finish(`response over ${maxBytes} bytes`);
      if (!client.write(chunk)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    });
    upstream.on('end', () => {
      if (done) return;
      client.end(() => finish());
    });
    upstream.on('error', () => finish('upstream connection failed mid-response'));
    upstream.on('aborted', () => finish('upstream aborted the response'));
    client.on('close', () => {
      if (!client.writableFinished) finish('the executor closed the connection');
    });
    if (signal.aborted) onAbort();
  });
}

/** Reads the executor's body, bounded: a declared length over the limit is refused before a byte is read. */
export async function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw deny('payload_too_large', 'proxy', `declared body of ${declared} bytes`);
  if (declared === undefined && req.headers['transfer-encoding'] === undefined) return undefined;
  // Buffered before anything is sent, so an oversized chunked body is refused with nothing forwarded. Listeners,
  // not `for await`: leaving an async iterator early destroys the request, and with it the socket the refusal
  // (and its audit line's source address) still needs.
  return await new Promise<Buffer | undefined>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      stop();
      req.pause();
      reject(deny('payload_too_large', 'proxy', `body over ${limit} bytes`));
    };
    const onEnd = () => {
      stop();
      resolve(size === 0 ? undefined : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      stop();
      reject(deny('malformed', 'proxy', `request body failed: ${err.message}`));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
