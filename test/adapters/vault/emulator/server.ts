/**
 * A wire-level HashiCorp Vault emulator for tests: node:http or node:https on 127.0.0.1, port 0. It follows
 * Vault's documented HTTP API (and /work/shared/WIRE-FACTS.md) closely enough that the real node-vault client
 * cannot tell the difference for the endpoints crefgate uses. Test hooks seed data, inject faults and inspect
 * leases; they act on the state directly, never over HTTP.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { login, lookupSelf, renewSelf } from './auth.ts';
import { permissionDenied, readJsonBody, send, vaultError, type VaultReply, type VaultRequest } from './http.ts';
import { handleKv } from './kv.ts';
import { issueCreds, renewLease, revokeLease } from './leases.ts';
import { VaultHooks } from './hooks.ts';
import { VaultState } from './state.ts';

/** A fault every request meets until cleared: an HTTP error, a request that never answers, or a reset. */
export type VaultFault = { status: number; message?: string } | 'hang' | 'reset' | null;

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  namespace: string;
  token: string | undefined;
  body: Record<string, unknown>;
}

export interface VaultEmulator extends VaultHooks {
  /** Base address, e.g. http://127.0.0.1:41234 (no trailing slash, no /v1). */
  url: string;
  state: VaultState;
  requests: RecordedRequest[];
  setFault(fault: VaultFault): void;
  /** Stops listening and drops connections, so clients meet "connection refused". */
  stop(): Promise<void>;
  /** Listens again on the same port after `stop`. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Starts an emulator; with `tls` it serves HTTPS using that key and certificate (PEM). */
export async function startVaultEmulator(options: { tls?: { key: string; cert: string } } = {}): Promise<VaultEmulator> {
  const state = new VaultState();
  const requests: RecordedRequest[] = [];
  let fault: VaultFault = null;
  const hung = new Set<IncomingMessage>();

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    void serve(req, res).catch(() => {
      if (!res.headersSent) send(res, vaultError(500, 'internal error'));
    });
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    let body: Record<string, unknown>;
    try {
      body = await readJsonBody(req);
    } catch {
      return send(res, vaultError(400, 'failed to parse JSON input'));
    }
    const header = (name: string): string | undefined => {
      const value = req.headers[name];
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    const request: VaultRequest = {
      method: req.method ?? 'GET',
      path: url.pathname.startsWith('/v1/') ? decodeURIComponent(url.pathname.slice(4)) : '',
      query: url.searchParams,
      namespace: (header('x-vault-namespace') ?? '').replace(/^\/+|\/+$/g, ''),
      token: header('x-vault-token'),
      body,
    };
    requests.push({ method: request.method, path: request.path, query: url.search, namespace: request.namespace, token: request.token, body });
    if (fault === 'hang') {
      hung.add(req); // stays unanswered until the fault is cleared or the emulator closes
      return;
    }
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault !== null) return send(res, vaultError(fault.status, fault.message ?? defaultFaultText(fault.status)));
    send(res, route(state, request));
  }

  const server = options.tls === undefined ? http.createServer(listener) : https.createServer(options.tls, listener);
  await listen(server, 0);
  const port = (server.address() as AddressInfo).port;
  const scheme = options.tls === undefined ? 'http' : 'https';

  const emulator = new VaultHooks(state) as VaultEmulator;
  Object.assign(emulator, {
    url: `${scheme}://127.0.0.1:${port}`,
    state,
    requests,
    setFault: (next: VaultFault) => {
      fault = next;
      if (next !== null) return;
      for (const req of hung) req.socket.destroy();
      hung.clear();
    },
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
    start: () => listen(server, port),
    close: async () => {
      if (!server.listening) return;
      await emulator.stop();
    },
  });
  return emulator;
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function defaultFaultText(status: number): string {
  if (status === 403) return 'permission denied';
  if (status === 429) return 'request path "x": rate limit quota exceeded';
  if (status === 503) return 'Vault is sealed';
  return status >= 500 ? 'internal error' : '';
}

/** Dispatches one request the way Vault's router would. */
function route(state: VaultState, req: VaultRequest): VaultReply {
  const { path, method } = req;
  if (path === 'sys/health') return health(state);
  if (state.sealed) return vaultError(503, 'Vault is sealed');
  const loginMatch = /^auth\/(.+)\/login$/.exec(path);
  if (loginMatch !== null && (method === 'POST' || method === 'PUT')) return login(state, req, loginMatch[1]!);

  const token = state.liveToken(req.token, req.namespace);
  if (token === undefined) return permissionDenied();
  for (const prefix of state.deniedPrefixes) if (path.startsWith(prefix)) return permissionDenied();

  if (path === 'auth/token/lookup-self' && method === 'GET') return lookupSelf(state, token);
  if (path === 'auth/token/renew-self' && (method === 'POST' || method === 'PUT')) return renewSelf(state, token, req.body);
  if (path === 'sys/leases/renew' && (method === 'POST' || method === 'PUT')) return renewLease(state, req);
  if (path === 'sys/leases/revoke' && (method === 'POST' || method === 'PUT')) return revokeLease(state, req);

  const creds = /^(.+)\/creds\/([^/]+)$/.exec(path);
  if (creds !== null && state.hasDynamicMount(req.namespace, creds[1]!)) return issueCreds(state, req, creds[1]!, creds[2]!);

  const kv = state.findKvMount(req.namespace, path);
  if (kv !== undefined) return handleKv(state, kv.mount, req, path.slice(kv.name.length + 1));
  return vaultError(404, `no handler for route "${path}". route entry not found.`);
}

function health(state: VaultState): VaultReply {
  const body = {
    initialized: true,
    sealed: state.sealed,
    standby: false,
    performance_standby: false,
    replication_performance_mode: 'disabled',
    replication_dr_mode: 'disabled',
    server_time_utc: Math.floor(state.now() / 1000),
    version: '1.17.0',
    cluster_name: 'vault-cluster-emulator',
    cluster_id: '00000000-0000-0000-0000-000000000000',
  };
  // Vault answers health with the bare object, not the logical envelope.
  return { status: state.sealed ? 503 : 200, body };
}
