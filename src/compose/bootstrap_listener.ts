/**
 * The bootstrap listener: HTTPS without client certificates, beside the mTLS listener. It serves only what a
 * caller without a certificate may need: a certificate for a registered executor (join token or OIDC), resolve
 * for workloads that authenticate with an OIDC token, renewal and revocation of the leases such a workload holds
 * (a GitHub token lives one hour; a longer job renews it, and the replacement comes back here), and the JWKS.
 * The lease routes are the main listener's handlers with the same checks; an OIDC caller is always an executor,
 * and it must still prove the job's bindings (src/leases/renew_lease.ts). Admin and coordinator routes exist
 * only on the mTLS listener, so relaxing client-certificate checks here cannot widen what they accept. Its Koa
 * pipeline is the main listener's (./koa_app.ts): same error mapping, denial auditing and request observers.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { bootstrapContext, requireWorkload } from '../bootstrap/bootstrap_context.ts';
import { certificateRoutes } from '../bootstrap/certificate_route.ts';
import type { BootstrapConfig } from '../bootstrap/config.ts';
import { GatewayError } from '../errors.ts';
import type { KoaState } from '../http/context.ts';
import type { OidcVerifier } from '../identity/oidc/verify_oidc.ts';
import { loadCa } from '../pki/ca.ts';
import { leaseRoutes } from '../routes/leases.ts';
import { resolveRoutes } from '../routes/resolve.ts';
import type { GatewayServices } from '../services.ts';
import { buildKoaApp } from './koa_app.ts';

export interface BootstrapListener {
  readonly server: https.Server;
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
}

export interface BootstrapDeps {
  services: GatewayServices;
  oidc: OidcVerifier;
  trustDomain: string;
  logger: Logger;
  /** The same request observers as the main listener (log line, metrics, span: src/ops/). */
  observers: ReadonlyArray<Middleware<KoaState>>;
  tls: { cert: Buffer; key: Buffer; clientCa: Buffer; minVersion: 'TLSv1.2' | 'TLSv1.3' };
  readFile: (file: string) => string;
}

/** The DER bodies of the certificates in a PEM bundle, to compare CAs without parsing. */
const pemBodies = (pem: string) => [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => m[1]!.replace(/\s+/g, ''));

/** Builds the listener; refuses start-up if the main listener would not trust the certificates it issues. */
export async function createBootstrapListener(config: BootstrapConfig, deps: BootstrapDeps): Promise<BootstrapListener> {
  const caCert = deps.readFile(config.ca_cert_file);
  const ca = await loadCa(caCert, deps.readFile(config.ca_key_file));
  const trusted = pemBodies(deps.tls.clientCa.toString('utf8'));
  if (!pemBodies(caCert).every((body) => trusted.includes(body))) {
    throw new Error('bootstrap: gateway.tls.client_ca_file does not include the executor CA; its certificates would be refused');
  }

  const app = buildKoaApp({
    logger: deps.logger,
    audit: deps.services.audit,
    context: bootstrapContext(deps.oidc, deps.services.now),
    observers: deps.observers,
    routes: (router) => {
      certificateRoutes(router, deps.services, { ca, trustDomain: deps.trustDomain, lifetimeSeconds: config.certificate_lifetime_seconds, oidc: deps.oidc });
      router.use('/v1/resolve', requireWorkload);
      resolveRoutes(router, deps.services);
      router.use(['/v1/leases/renew', '/v1/leases/revoke'], requireWorkload);
      leaseRoutes(router, deps.services);
      router.get('/v1/jwks', (ctx) => {
        ctx.body = deps.services.keyring.jwks();
      });
    },
    unmatched: () => {
      throw new GatewayError('not_found', { reason: 'no such route on the bootstrap listener' });
    },
  });

  const server = https.createServer({ cert: deps.tls.cert, key: deps.tls.key, minVersion: deps.tls.minVersion, requestCert: false }, app.callback());
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return {
    server,
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return server.address() as AddressInfo;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
