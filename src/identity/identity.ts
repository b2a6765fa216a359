/**
 * Who is calling: the TLS client certificate (already verified against the configured CA by the TLS layer)
 * mapped to one role. Executors are named by their SPIFFE ID `spiffe://<trust-domain>/tenant/<t>/executor/<id>`
 * or by a fingerprint pinned in config; coordinators, admins and auditors are listed in config.
 * The mapping is computed once per TLS connection and cached on the socket (keep-alive requests reuse it).
 */
import type { TLSSocket } from 'node:tls';
import { ID_SOURCE } from '../envelope/id.ts';
import { deny } from '../errors.ts';
import { describeCertificate } from './peer_certificate.ts';

export type Role = 'executor' | 'coordinator' | 'admin' | 'auditor';

export interface Identity {
  role: Role;
  /** Executor id, or the configured name of a coordinator/admin/auditor. */
  id: string;
  /** Executors: the tenant named by their identity. */
  tenant?: string | undefined;
  /** Coordinators: tenants they may issue for. */
  tenants: string[];
  /** The SPIFFE URI or fingerprint that matched: what the executor registry binds. */
  binding: string;
  fingerprint: string;
  /** How the identity was proven: a client certificate, a workload OIDC token, or a join token (bootstrap only). */
  auth: 'mtls' | 'oidc' | 'join_token';
  /** OIDC only: the token's string-valued claims (iss, sub, repository, ref, sha…), for policy. */
  claims?: Readonly<Record<string, string>> | undefined;
}

export interface IdentityRule {
  id: string;
  role: 'coordinator' | 'admin' | 'auditor';
  uri?: string | undefined;
  fingerprint?: string | undefined;
  tenants: string[];
}

export interface PinnedExecutor {
  id: string;
  tenant: string;
}

export class IdentityMapper {
  private readonly byUri = new Map<string, IdentityRule>();
  private readonly byFingerprint = new Map<string, IdentityRule>();
  private readonly executorPattern: RegExp;
  private readonly cache = new WeakMap<TLSSocket, Identity>();
  private readonly pinnedExecutors: Map<string, PinnedExecutor>;

  constructor(trustDomain: string, rules: IdentityRule[], pinnedExecutors: Map<string, PinnedExecutor>) {
    this.pinnedExecutors = pinnedExecutors;
    for (const rule of rules) {
      if (rule.uri !== undefined) this.byUri.set(rule.uri, rule);
      if (rule.fingerprint !== undefined) this.byFingerprint.set(rule.fingerprint, rule);
    }
    const domain = trustDomain.replaceAll('.', '\\.');
    this.executorPattern = new RegExp(`^spiffe://${domain}/tenant/(${ID_SOURCE})/executor/(${ID_SOURCE})$`);
  }

  /** Identity of the peer on `socket`; throws `unauthenticated` (step tls) if it maps to nothing. */
  identify(socket: TLSSocket): Identity {
    const cached = this.cache.get(socket);
    if (cached !== undefined) return cached;
    if (!socket.authorized) throw deny('unauthenticated', 'tls', 'client certificate not verified');
    const cert = socket.getPeerX509Certificate();
    if (cert === undefined) throw deny('unauthenticated', 'tls', 'no client certificate');
    const identity = this.map(describeCertificate(cert));
    this.cache.set(socket, identity);
    return identity;
  }

  private map(peer: { fingerprint: string; uris: string[] }): Identity {
    // A SPIFFE SVID carries exactly one URI SAN; more than one is ambiguous and refused.
    if (peer.uris.length > 1) throw deny('unauthenticated', 'tls', 'certificate has more than one URI SAN');
    const uri = peer.uris[0];
    const rule = (uri !== undefined ? this.byUri.get(uri) : undefined) ?? this.byFingerprint.get(peer.fingerprint);
    if (rule !== undefined) {
      return { role: rule.role, id: rule.id, tenants: rule.tenants, binding: rule.uri === uri && uri !== undefined ? uri : peer.fingerprint, fingerprint: peer.fingerprint, auth: 'mtls' };
    }
    const match = uri === undefined ? null : this.executorPattern.exec(uri);
    if (match !== null && uri !== undefined) {
      return { role: 'executor', id: match[2]!, tenant: match[1]!, tenants: [], binding: uri, fingerprint: peer.fingerprint, auth: 'mtls' };
    }
    const pinned = this.pinnedExecutors.get(peer.fingerprint);
    if (pinned !== undefined) {
      return { role: 'executor', id: pinned.id, tenant: pinned.tenant, tenants: [], binding: peer.fingerprint, fingerprint: peer.fingerprint, auth: 'mtls' };
    }
    throw deny('unauthenticated', 'tls', 'certificate maps to no known identity');
  }
}
