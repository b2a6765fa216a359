/**
 * The typed crefgate client for coordinators, executors, admins and auditors. It never retries a resolve
 * (an envelope is single-use; a blind replay is exactly what the gateway refuses), and it sends the envelope
 * byte-exact with its payload in RFC 8785 form.
 */
import type { JSONWebKeySet } from 'jose';
import { canonicalJson } from '../envelope/canonical.ts';
import type { Envelope } from '../envelope/schema.ts';
import type { ResolveResponse } from '../resolve/resolve.ts';
import { Transport, type TransportOptions } from './http.ts';
import { verifyEnvelope } from './verify_envelope.ts';
import { proxyTarget, type ProxyTarget } from './proxy.ts';

export interface IssueJobInput {
  tenant: string;
  executor: string;
  crefs: Record<string, string>;
  ttl: number;
  /** Aliases whose resolve returns a proxy URL instead of the value (docs/proxy.md). */
  delivery?: Record<string, 'proxy'>;
  /** Binds the job to a CI run (`repository`, `ref`, `sha`, `run_id`, `workflow`): see docs/identity.md. */
  bindings?: Record<string, string>;
}

// The response shapes are the server's own types, so client and gateway cannot drift apart.
export type { ResolvedSecret } from '../resolve/resolve.ts';
import type { ResolvedSecret } from '../resolve/resolve.ts';
export type ResolveResult = ResolveResponse;

export interface LeaseInfo {
  lease_id: string;
  lease_duration: number;
  renewable: boolean;
  expires_at: number;
  /** Set when the backend replaced the credential (GitHub tokens): the new value, under the new `lease_id`. */
  value?: string | Record<string, string>;
  /** With `value`: the lease that ended (its credential is being revoked). */
  replaced?: string;
}

/** The exact bytes an envelope is presented as. */
export function envelopeBody(envelope: Envelope): string {
  return `{"payload":${canonicalJson(envelope.payload)},"kid":${JSON.stringify(envelope.kid)},"sig":${JSON.stringify(envelope.sig)},"token":${JSON.stringify(envelope.token)}}`;
}

export class CrefgateClient {
  private readonly transport: Transport;
  private jwksCache: JSONWebKeySet | undefined;

  constructor(options: TransportOptions) {
    this.transport = new Transport(options);
  }

  /**
   * How this client authenticates: `mtls` (a client certificate, the main listener) or `oidc` (a workload
   * token provider, `identityToken`, against the bootstrap listener: resolve, renew and revoke only).
   */
  get auth(): 'mtls' | 'oidc' {
    return this.transport.auth;
  }

  /** Coordinator: issue a job envelope. */
  async issueJob(input: IssueJobInput): Promise<Envelope> {
    return await this.transport.request<Envelope>('POST', '/v1/jobs', input);
  }

  /** The gateway's token verification keys. */
  async jwks(refresh = false): Promise<JSONWebKeySet> {
    if (refresh || this.jwksCache === undefined) this.jwksCache = await this.transport.request<JSONWebKeySet>('GET', '/v1/jwks');
    return this.jwksCache;
  }

  /**
   * Executor: present an envelope. With `hmacSecrets`, the envelope is verified locally first (HMAC, token
   * signature and binding); pass `verify: false` only to test the gateway's own checks.
   */
  async resolve(envelope: Envelope, options: { hmacSecrets?: Map<string, Buffer>; verify?: boolean } = {}): Promise<ResolveResult> {
    if (options.verify !== false && options.hmacSecrets !== undefined) {
      await verifyEnvelope(envelope, { hmacSecrets: options.hmacSecrets, jwks: await this.jwks() });
    }
    return await this.transport.request<ResolveResult>('POST', '/v1/resolve', undefined, envelopeBody(envelope));
  }

  /** Sends an arbitrary body to /v1/resolve (tests of the gateway's refusals). */
  async resolveRaw(body: string): Promise<ResolveResult> {
    return await this.transport.request<ResolveResult>('POST', '/v1/resolve', undefined, body);
  }

  /** Executor or coordinator: extend a lease (never past the job end); a replacement credential comes back as `value`. */
  async renewLease(leaseId: string, increment: number): Promise<LeaseInfo> {
    return await this.transport.request<LeaseInfo>('POST', '/v1/leases/renew', { lease_id: leaseId, increment });
  }

  async revokeLease(leaseId: string): Promise<{ lease_id: string; revoked: boolean }> {
    return await this.transport.request('POST', '/v1/leases/revoke', { lease_id: leaseId });
  }

  async completeJob(jobId: string): Promise<{ job_id: string; completed: boolean; revoked_leases: number }> {
    return await this.transport.request('POST', `/v1/jobs/${encodeURIComponent(jobId)}/complete`, {});
  }

  /** Admin: register an executor; the returned secret is shown only this once. */
  async registerExecutor(input: { id: string; tenant: string; identities: string[]; allowed_crefs?: string[]; grace_seconds?: number }) {
    return await this.transport.request<{ id: string; tenant: string; kid: string; secret: string }>('POST', '/v1/executors', input);
  }

  async rotateExecutorSecret(id: string) {
    return await this.transport.request<{ id: string; kid: string; secret: string; previous_accepted_until: number }>('POST', `/v1/executors/${encodeURIComponent(id)}/rotate`, {});
  }

  async setExecutorEnabled(id: string, enabled: boolean) {
    return await this.transport.request<{ id: string; enabled: boolean }>('POST', `/v1/executors/${encodeURIComponent(id)}/${enabled ? 'enable' : 'disable'}`, {});
  }

  /** Admin: a one-time join token for the executor's first certificate (shown only this once). */
  async createJoinToken(id: string) {
    return await this.transport.request<{ executor: string; join_token: string; expires_at: number }>('POST', `/v1/executors/${encodeURIComponent(id)}/join-token`, {});
  }

  /** Admin/auditor: one executor's public record (never its secret). */
  async describeExecutor(id: string) {
    return await this.transport.request<Record<string, unknown>>('GET', `/v1/executors/${encodeURIComponent(id)}`);
  }

  async listExecutors(tenant?: string) {
    return await this.transport.request<{ executors: unknown[] }>('GET', `/v1/executors${tenant === undefined ? '' : `?tenant=${encodeURIComponent(tenant)}`}`);
  }

  /** Executor: the base URL, mTLS agent and `fetch` for a secret delivered through the proxy. */
  proxy(secret: ResolvedSecret): ProxyTarget {
    if (secret.proxy_url === undefined) throw new Error(`lease ${secret.lease_id} was delivered by value, not through the proxy`);
    return proxyTarget(secret.proxy_url, this.transport.agent);
  }

  async get<T>(path: string): Promise<T> {
    return await this.transport.request<T>('GET', path);
  }

  close(): void {
    this.transport.close();
  }
}
