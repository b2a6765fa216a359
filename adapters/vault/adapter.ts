/**
 * The Vault adapter: KV reads, dynamic credentials with leases, health. Every call first makes sure the
 * adapter's own token is fresh, then goes through node-vault; the SDK cannot be cancelled, so each call is
 * raced against the request's signal and bounded by the client's per-request timeout.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { raceAbort } from '../../src/deadline/abortable.ts';
import {
  AdapterError,
  type AdapterContext,
  type DynamicSecret,
  type HealthReport,
  type IssueRequest,
  type ReadRequest,
  type RenewRequest,
  type RenewResult,
  type RevokeRequest,
  type SecretAdapter,
  type StaticSecret,
} from '../contract.ts';
import { createNodeVaultClient, type CreateVaultClient, type VaultClient } from './client.ts';
import type { AdapterSeams } from '../kit/seams.ts';
import { manifest } from './index.ts';
import { mapVaultError } from './map_error.ts';
import { kvReadPath, kvSecret, type KvSettings } from './kv_read.ts';
import { authPlan } from './auth.ts';
import { credsPath, dynamicSecret, isLeaseGone, leaseIdOf, renewResult } from './leases.ts';
import type { VaultOptions } from './options.ts';
import { TokenKeeper } from './token_keeper.ts';

/** Seams for tests: the SDK client factory, the clock token expiry is measured on, the environment. */
export interface VaultDeps extends AdapterSeams {
  createClient?: CreateVaultClient;
}

/** Builds a Vault adapter from validated options. Nothing is sent to Vault until the first call. */
export function create(options: VaultOptions, context: AdapterContext, deps: VaultDeps = {}): VaultAdapter {
  // Read at start-up so that a missing CA file stops the gateway before it serves, not at the first request.
  const ca = options.ca_file === undefined ? undefined : readFileSync(resolve(context.configDir, options.ca_file));
  const client = (deps.createClient ?? createNodeVaultClient)({
    endpoint: options.address.replace(/\/+$/, ''),
    namespace: options.namespace,
    ca,
    timeoutMs: options.request_timeout_ms,
  });
  const keeper = new TokenKeeper(client, authPlan(options.auth, context.configDir, deps.env ?? process.env), deps.now ?? Date.now);
  return new VaultAdapter(client, keeper, { mount: options.kv.mount, version: options.kv.version, stringField: options.kv.string_field });
}

export class VaultAdapter implements SecretAdapter {
  readonly kind: string = manifest.kind;
  readonly #client: VaultClient;
  readonly #keeper: TokenKeeper;
  readonly #kv: KvSettings;

  constructor(client: VaultClient, keeper: TokenKeeper, kv: KvSettings) {
    this.#client = client;
    this.#keeper = keeper;
    this.#kv = kv;
  }

  /** Reads a static secret from the KV mount; `path` is relative to the mount. */
  async read(request: ReadRequest): Promise<StaticSecret> {
    const path = kvReadPath(this.#kv, request);
    const answer = await this.#call('kv read', request.signal, () => this.#client.read(path));
    return kvSecret(this.#kv, answer, request.field);
  }

  /** Mints dynamic credentials from a `…/creds/<role>` path (absolute Vault path, not under the KV mount). */
  async issue(request: IssueRequest): Promise<DynamicSecret> {
    const path = credsPath(request);
    const answer = await this.#call('issue', request.signal, () => this.#client.read(path));
    try {
      return dynamicSecret(answer, request.field);
    } catch (err) {
      // Vault already granted a lease (a missing field is only known from the answer): no lease record will
      // ever name it, so revoke it now rather than leave the credential alive until its TTL.
      const leaseId = (answer as { lease_id?: unknown } | null)?.lease_id;
      if (typeof leaseId === 'string' && leaseId !== '') {
        await this.#call('lease revoke', request.signal, () => this.#client.revoke({ lease_id: leaseId })).catch(() => undefined);
      }
      throw err;
    }
  }

  /** Extends a lease; a lease Vault no longer knows is not_found (the credential is gone). */
  async renew(request: RenewRequest): Promise<RenewResult> {
    const leaseId = leaseIdOf(request.handle);
    const increment = Math.max(1, Math.floor(request.incrementSeconds));
    try {
      return renewResult(await this.#call('lease renew', request.signal, () => this.#client.renew({ lease_id: leaseId, increment })));
    } catch (err) {
      if (isLeaseGone((err as Error).cause)) throw new AdapterError('not_found', 'vault lease renew: lease expired or revoked', { cause: err });
      throw err;
    }
  }

  /** Revokes a lease; one that is already gone counts as revoked. */
  async revoke(request: RevokeRequest): Promise<void> {
    const leaseId = leaseIdOf(request.handle);
    try {
      await this.#call('lease revoke', request.signal, () => this.#client.revoke({ lease_id: leaseId }));
    } catch (err) {
      if (!isLeaseGone((err as Error).cause)) throw err;
    }
  }

  /** sys/health (no token needed) plus the adapter's own token. Unreachable Vault throws; sealed is not ok. */
  async health(signal: AbortSignal): Promise<HealthReport> {
    // node-vault resolves sys/health with the body even for 429/472/473/501/503, so status is read from it.
    const answer = (await this.#send('health', signal, () => this.#client.health({ standbyok: true }))) as {
      initialized?: unknown;
      sealed?: unknown;
    } | null;
    if (answer?.initialized !== true) return { ok: false, detail: 'vault is not initialized' };
    if (answer.sealed !== false) return { ok: false, detail: 'vault is sealed' };
    try {
      await raceAbort(this.#keeper.ready(), signal);
    } catch (err) {
      const kind = err instanceof AdapterError ? err.kind : 'unavailable';
      return { ok: false, detail: `vault is up, but the adapter has no usable token (${kind})` };
    }
    const remaining = this.#keeper.remainingSeconds();
    return { ok: true, detail: remaining === undefined ? 'token does not expire' : `token valid for ${remaining}s` };
  }

  async close(): Promise<void> {
    this.#keeper.close();
  }

  /** Ensures a fresh token, then sends. */
  async #call(action: string, signal: AbortSignal, run: () => Promise<unknown>): Promise<unknown> {
    return this.#send(action, signal, async () => {
      await this.#keeper.ready();
      return run();
    });
  }

  /** One SDK call under the caller's signal, with every failure mapped to an AdapterError. */
  async #send(action: string, signal: AbortSignal, run: () => Promise<unknown>): Promise<unknown> {
    if (signal.aborted) throw new AdapterError('timeout', `vault ${action}: aborted before sending`, { cause: signal.reason });
    try {
      return await raceAbort(run(), signal);
    } catch (err) {
      if (signal.aborted) throw new AdapterError('timeout', `vault ${action}: aborted`, { cause: signal.reason });
      throw mapVaultError(err, action);
    }
  }
}
