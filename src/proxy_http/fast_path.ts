/**
 * Proxied requests served in front of Koa. A proxied exchange answers with the upstream's own head and body, so
 * Koa's context, router, response handling and middleware chain did nothing for it but cost: about a quarter of
 * the gateway's CPU per proxied request (docs/proxy.md, Performance). This path keeps what the contract needs of
 * that pipeline, the same code each time:
 *   - the request id (`x-request-id`) and `cache-control: no-store`, as `requestContext` sets them;
 *   - the TLS identity, from the same IdentityMapper;
 *   - the request observers (log line, latency histogram, span), run around the exchange as Koa runs them;
 *   - every check of the proxy route (`handle` in route.ts is the one implementation for both paths);
 *   - refusals: nothing is answered here. A request `handle` refuses is passed, untouched and with the refusal
 *     attached, to a Koa application without the observers; its proxy route throws that refusal, so it takes the
 *     one error mapping (src/http/error_middleware.ts) and the denial auditor like any other refused request.
 * Anything that is not plainly a proxied request (another path or method, absolute-form, no proxy configured)
 * goes to the full Koa application, unchanged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Middleware } from 'koa';
import { randomId } from '../crypto/random.ts';
import { GatewayError, asGatewayError } from '../errors.ts';
import type { KoaState } from '../http/context.ts';
import type { IdentityMapper } from '../identity/identity.ts';
import type { GatewayServices } from '../services.ts';
import { leaveRefusal } from './refusals.ts';
import { handle, PROXY_METHODS, PROXY_ROUTE, type ProxyExchange } from './route.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface FastPathOptions {
  services: GatewayServices;
  identities: IdentityMapper;
  /** The same request observers the Koa application runs (src/ops: log line, metrics, span). */
  observers: Array<Middleware<KoaState>>;
  /** The Koa application without those observers: answers the fast path's refusals. */
  refusals: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>;
  /** The full Koa application: every other request. */
  app: Handler;
}

// Origin-form `/v1/proxy/<lease segment>/…` only; the rest (absolute-form, no path after the lease) is left to
// the router, which answers it as before.
const FAST = /^\/v1\/proxy\/[^/?]+\//;
const METHODS = new Set(PROXY_METHODS);

/** The gateway's request handler: proxied requests here, everything else to `app`. */
export function proxyFastPath(options: FastPathOptions): Handler {
  const { services, identities, observers, refusals, app } = options;
  const run = (exchange: ProxyExchange & { _matchedRoute: string }, i: number, last: () => Promise<void>): Promise<void> => {
    const observer = observers[i];
    // biome-ignore lint/suspicious/noExplicitAny: the observers read method, status, state and the route, which the exchange has
    return observer === undefined ? last() : Promise.resolve(observer(exchange as any, () => run(exchange, i + 1, last)));
  };
  return (req, res) => {
    const proxy = services.proxy;
    if (proxy === undefined || !METHODS.has(req.method ?? '') || !FAST.test(req.url ?? '')) return app(req, res);
    const requestId = randomId('req', 12);
    const exchange = {
      req, res, method: req.method!, ip: req.socket.remoteAddress ?? '', status: 404, _matchedRoute: PROXY_ROUTE,
      state: { requestId, audit: { action: 'request' } } as KoaState,
    };
    res.setHeader('x-request-id', requestId);
    res.setHeader('cache-control', 'no-store');
    const serve = async () => {
      try {
        exchange.state.identity = identities.identify(req.socket as TLSSocket);
        await handle(exchange, services, proxy);
      } catch (thrown) {
        // After the head went out there is nothing left to answer (handle does not throw then; this is a guard).
        if (res.headersSent) throw thrown;
        res.removeHeader('x-request-id');
        res.removeHeader('cache-control');
        leaveRefusal(req, { error: thrown, audit: exchange.state.audit });
        await refusals(req, res);
        // The observers log what was answered: the request id and status Koa's pass gave it. The one way that pass
        // answers another status than the refusal's is a denial it could not audit (503 at `audit`).
        exchange.state.requestId = String(res.getHeader('x-request-id') ?? requestId);
        const refused = asGatewayError(thrown);
        throw res.statusCode === refused.status ? refused : new GatewayError('unavailable', { step: 'audit', reason: 'denial could not be audited' });
      }
    };
    // Every outcome is answered (by handle or by the refusal pass) and logged by the observers: nothing to add.
    run(exchange, 0, serve).catch(() => {
      if (!res.headersSent) res.destroy();
    });
  };
}
