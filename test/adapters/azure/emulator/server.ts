/**
 * A wire-level Azure Key Vault emulator over HTTPS (WIRE-FACTS.md): a request without a bearer token gets the
 * 401 challenge that names the tenant's authority and the vault resource; a request with the expected token
 * gets the documented secret bundle JSON, or the vault's error JSON for faults. The real SecretClient talks
 * to it with a throwaway CA.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createThrowawayPki } from '../../../helpers/throwaway_ca.ts';

export type AzureFault = 'forbidden' | 'throttled' | 'unavailable';

interface StoredVersion {
  version: string;
  value: string;
  contentType?: string | undefined;
}

export interface ObservedRequest {
  method: string;
  path: string;
  apiVersion: string | null;
  authorization: string | undefined;
}

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CHALLENGE = `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net"`;

export class AzureKeyVaultEmulator {
  readonly #server: Server;
  /** Lower-cased secret name → versions, oldest first (Key Vault names are case-insensitive). */
  readonly #secrets = new Map<string, StoredVersion[]>();
  readonly #denied = new Set<string>();
  readonly caPem: string;
  readonly token = `emulator-token-${randomBytes(8).toString('hex')}`;
  fault: AzureFault | null = null;
  /** Sent as Retry-After with 429 answers. */
  retryAfter = '7';
  readonly requests: ObservedRequest[] = [];

  private constructor(server: Server, caPem: string) {
    this.#server = server;
    this.caPem = caPem;
  }

  /** Starts the emulator on https://127.0.0.1 and a free port, with a fresh CA. */
  static async start(): Promise<AzureKeyVaultEmulator> {
    const pki = await createThrowawayPki('crefgate-azure-emulator-ca');
    const server = createServer({ cert: pki.serverCert, key: pki.serverKey });
    const emulator = new AzureKeyVaultEmulator(server, pki.caCert);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => emulator.#handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return emulator;
  }

  get url(): string {
    return `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Adds a version to `name`; returns its 32-hex-digit version id. */
  setSecret(name: string, value: string, contentType?: string): string {
    const version = randomBytes(16).toString('hex');
    const versions = this.#secrets.get(name.toLowerCase()) ?? [];
    versions.push({ version, value, contentType });
    this.#secrets.set(name.toLowerCase(), versions);
    return version;
  }

  /** Makes every get of `name` answer 403, as an identity without the `get` permission sees it. */
  deny(name: string): void {
    this.#denied.add(name.toLowerCase());
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const authorization = req.headers.authorization;
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      apiVersion: url.searchParams.get('api-version'),
      authorization,
    });
    if (authorization === undefined || authorization !== `Bearer ${this.token}`) {
      res.setHeader('WWW-Authenticate', CHALLENGE);
      return send(res, 401, authorization === undefined ? undefined : error('Unauthorized', 'AKV10032: Invalid issuer.'));
    }
    if (url.searchParams.get('api-version') === null) return send(res, 400, error('BadParameter', 'api-version missing'));
    const match = /^\/secrets\/([^/]+)\/([^/]*)$/.exec(url.pathname);
    if (req.method !== 'GET' || match === null) return send(res, 400, error('BadParameter', 'unsupported request'));
    const [, name = '', wanted = ''] = match;
    if (this.fault === 'throttled') {
      res.setHeader('Retry-After', this.retryAfter);
      return send(res, 429, error('Throttled', 'Request was not processed because too many requests were received.'));
    }
    if (this.fault === 'unavailable') return send(res, 500, error('InternalServerError', 'emulated outage'));
    if (this.fault === 'forbidden' || this.#denied.has(name.toLowerCase())) {
      return send(res, 403, error('Forbidden', `Caller is not authorized to perform action on resource. Secret: ${name}`));
    }
    const versions = this.#secrets.get(name.toLowerCase()) ?? [];
    const found = wanted === '' ? versions.at(-1) : versions.find((v) => v.version === wanted);
    if (found === undefined) {
      return send(res, 404, error('SecretNotFound', `A secret with (name/id) ${name}/${wanted} was not found in this key vault.`));
    }
    const created = 1_763_870_000;
    send(res, 200, {
      value: found.value,
      ...(found.contentType === undefined ? {} : { contentType: found.contentType }),
      id: `${this.url}/secrets/${name}/${found.version}`,
      attributes: { enabled: true, created, updated: created, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 },
      tags: {},
    });
  }
}

function error(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  if (body !== undefined) res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(body === undefined ? '' : JSON.stringify(body));
}
