/**
 * Builds the listeners: the mTLS listener (the Koa app behind the proxy fast path) and, when configured, the
 * bootstrap listener. Both serve the same Koa pipeline (./koa_app.ts) with the same request observers, so every
 * request on either gets its log line, metrics and span.
 */
import { readFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import https from 'node:https';
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { joinTokenRoutes } from '../bootstrap/join_token_route.ts';
import type { Config } from '../config/schema.ts';
import type { KoaState } from '../http/context.ts';
import { requestContext } from '../http/request_context.ts';
import { IdentityMapper, type PinnedExecutor } from '../identity/identity.ts';
import { OidcVerifier } from '../identity/oidc/verify_oidc.ts';
import { proxyFastPath } from '../proxy_http/fast_path.ts';
import type { GatewayServices } from '../services.ts';
import { type BootstrapListener, createBootstrapListener } from './bootstrap_listener.ts';
import { buildKoaApp } from './koa_app.ts';
import { mainListenerRoutes } from './main_routes.ts';
import type { GatewayOptions } from './options.ts';

export interface ListenerTls {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

/** The main listener's certificate, key and client CA (read before anything is built, so a bad path fails first). */
export function readTls(config: Config, file: (p: string) => string): ListenerTls {
  return {
    cert: readFileSync(file(config.gateway.tls.cert_file)),
    key: readFileSync(file(config.gateway.tls.key_file)),
    ca: readFileSync(file(config.gateway.tls.client_ca_file)),
  };
}

export interface ListenerContext {
  config: Config;
  options: GatewayOptions;
  services: GatewayServices;
  logger: Logger;
  tls: ListenerTls;
  /** The request observers (src/ops/: log line, metrics, span), run on both listeners. */
  observers: Array<Middleware<KoaState>>;
  file: (p: string) => string;
}

export interface Listeners {
  server: https.Server;
  bootstrap: BootstrapListener | undefined;
}

/** Executors pinned by certificate fingerprint, and the identity mapper of the mTLS listener. */
function identityMapper(config: Config): IdentityMapper {
  const pinned = new Map<string, PinnedExecutor>();
  for (const e of config.executors) {
    for (const id of e.identities) if (id.startsWith('sha256:')) pinned.set(id, { id: e.id, tenant: e.tenant });
  }
  return new IdentityMapper(config.gateway.trust_domain, config.identities, pinned);
}

export async function buildListeners(l: ListenerContext): Promise<Listeners> {
  const { config, services, logger, tls, observers } = l;
  const identities = identityMapper(config);
  const bootstrap = config.bootstrap === undefined
    ? undefined
    : await createBootstrapListener(config.bootstrap, {
        services, oidc: new OidcVerifier(config.oidc), trustDomain: config.gateway.trust_domain, logger, observers,
        tls: { cert: tls.cert, key: tls.key, clientCa: tls.ca, minVersion: config.gateway.tls.min_version },
        readFile: (f) => readFileSync(l.file(f), 'utf8'),
      });
  const ownRoutes = config.bootstrap === undefined ? [] : [(r: Router<KoaState>) => joinTokenRoutes(r, services, config.bootstrap!.join_token_ttl_seconds)];
  const extra = [...ownRoutes, ...(l.options.extraRoutes ?? []).map((add) => (r: Router<KoaState>) => add(r, services))];
  const koa = (withObservers: Array<Middleware<KoaState>>) =>
    buildKoaApp({ logger, audit: services.audit, context: requestContext(identities), routes: (r) => mainListenerRoutes(r, services, extra), observers: withObservers });
  // Proxied requests skip Koa's pipeline; their refusals go through Koa without the observers (src/proxy_http/fast_path.ts).
  const handler = proxyFastPath({ services, identities, observers, refusals: koa([]).callback(), app: koa(observers).callback() });
  return { server: mainServer(config, tls, handler, logger), bootstrap };
}

/** The mTLS-only HTTPS server with the gateway's connection limits. */
function mainServer(config: Config, tls: ListenerTls, handler: RequestListener, logger: Logger): https.Server {
  const server = https.createServer(
    {
      ...tls,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: config.gateway.tls.min_version,
      // Session tickets would let a resumed session skip the client-certificate check on some stacks.
      sessionTimeout: 300,
      // A socket that never finishes the handshake is dropped (Node's default would hold it for 120 s).
      handshakeTimeout: config.gateway.tls_handshake_timeout_ms,
      // headersTimeout and requestTimeout are only enforced when Node sweeps connections (default every 30 s):
      // sweep often enough that a slow-loris client is cut off close to its limit.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(config.gateway.headers_timeout_ms, config.gateway.request_timeout_ms) / 4))),
    },
    handler,
  );
  server.headersTimeout = config.gateway.headers_timeout_ms;
  server.requestTimeout = config.gateway.request_timeout_ms;
  server.maxConnections = config.gateway.max_connections;
  server.keepAliveTimeout = 5000;
  server.on('tlsClientError', (err) => logger.debug({ err: err.message }, 'TLS handshake refused'));
  return server;
}
