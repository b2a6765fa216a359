/** What `createGateway` accepts and returns (src/gateway.ts); here so the composition files can use them too. */
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import type Router from '@koa/router';
import type { TracerProvider } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { AdapterRegistry } from '../../adapters/registry.ts';
import type { AuditTrail } from '../audit/contract.ts';
import type { KoaState } from '../http/context.ts';
import type { GatewayOps } from '../ops/index.ts';
import type { GatewayServices } from '../services.ts';
import type { StateStore } from '../state/contract.ts';

export interface GatewayOptions {
  /** Folder of the config file: relative paths resolve against it (then `state_dir`). */
  configDir: string;
  now?: () => number;
  logger?: Logger;
  registry?: AdapterRegistry;
  /** Inject a state store (tests, embedding); default: built from config. */
  state?: StateStore;
  /** Inject an audit trail (embedding); default: built from config. */
  audit?: AuditTrail;
  /** Replica name (audit origin default, revocation consumer). */
  replica?: string;
  /** Run the lease sweeper and revocation worker (default true). */
  workers?: boolean;
  /** Extra routes mounted after the built-in ones (audit stream, metrics…). */
  extraRoutes?: Array<(router: Router<KoaState>, services: GatewayServices) => void>;
  /** Tracer provider for spans (tests: an InMemorySpanExporter); default: built from `tracing` config, or none. */
  tracerProvider?: TracerProvider;
}

export interface Gateway {
  readonly services: GatewayServices;
  readonly server: https.Server;
  /** Metrics, tracing and the ops listener (its address once listening). */
  readonly ops: GatewayOps;
  /** The listener without client certificates, when `bootstrap` is configured (docs/identity.md). */
  readonly bootstrap?: { readonly server: https.Server } | undefined;
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
}
