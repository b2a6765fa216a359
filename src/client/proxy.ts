/**
 * The executor side of proxy delivery: for a cref the coordinator marked for the proxy, the resolve returns a base
 * URL instead of the value. `proxyTarget` turns it into what HTTP clients need: the base URL, the mTLS agent that
 * reaches it (node:https, the AWS SDK's NodeHttpHandler), and a WHATWG `fetch` over that agent (Octokit's
 * `request.fetch`, or direct use). The credential never reaches this process: crefgate injects it.
 */
import https from 'node:https';
import { Readable } from 'node:stream';

export interface ProxyTarget {
  /** `https://<gateway>/v1/proxy/<lease_id>/`: upstream paths are appended to it. */
  baseUrl: string;
  /** The executor's mTLS agent (client certificate, gateway CA). */
  agent: https.Agent;
  /** `fetch` that sends through `agent`; relative URLs resolve against `baseUrl`. */
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
}

async function bodyBytes(body: RequestInit['body'] | ReadableStream | null | undefined): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.from(await new Response(body as ConstructorParameters<typeof Response>[0]).arrayBuffer());
}

/** A `fetch` for the proxy URL, over the given agent (Node's own fetch cannot present a client certificate). */
export function proxyTarget(baseUrl: string, agent: https.Agent): ProxyTarget {
  const base = new URL(baseUrl);
  const fetchThrough = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request?.url ?? String(input), base);
    // Only the gateway's own proxy path: a slip in the caller's URL must not send the mTLS identity elsewhere.
    if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) throw new Error(`proxy fetch: ${url.origin}${url.pathname} is outside ${baseUrl}`);
    const headers = new Headers(init.headers ?? request?.headers);
    const body = await bodyBytes(init.body ?? (request === undefined ? undefined : await request.arrayBuffer()));
    const method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    return await new Promise<Response>((resolve, reject) => {
      const outgoing: Record<string, string> = {};
      headers.forEach((value, name) => {
        outgoing[name] = value;
      });
      if (body !== undefined) outgoing['content-length'] = String(body.length);
      const req = https.request(url, { method, agent, headers: outgoing }, (res) => {
        const responseHeaders = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        const noBody = method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
        resolve(new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream), { status: res.statusCode ?? 502, headers: responseHeaders }));
      });
      init.signal?.addEventListener('abort', () => req.destroy(init.signal?.reason as Error), { once: true });
      req.on('error', reject);
      req.end(body);
    });
  };
  return { baseUrl: base.href, agent, fetch: fetchThrough };
}
