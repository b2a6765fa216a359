/**
 * A whole resolve: the eight-step chain, then the backends, the leases, the durable audit event, and only then
 * the commit of the nonce. If anything after the reservation fails, what was done is undone (leases revoked,
 * dynamic credentials queued for revocation, the reservation released) and the error goes up to be audited.
 */
import { releaseEventually } from '../chain/release_nonce.ts';
import { runChain } from '../chain/run_chain.ts';
import type { CheckedResolve, ResolveState } from '../chain/context.ts';
import { GatewayError } from '../errors.ts';
import type { GatewayServices } from '../services.ts';
import type { LeaseRecord } from '../state/contract.ts';
import { buildLeases } from './build_leases.ts';
import { abandonDynamic, fetchSecrets, type Fetched } from './fetch_secrets.ts';
import { actorOf } from '../http/audit_actor.ts';
import { proxyDelivery } from '../proxy/deliver.ts';

export interface ResolvedSecret {
  /** Absent for a cref delivered through the proxy (`proxy_url` instead). */
  value?: string | Record<string, string>;
  encoding?: 'base64';
  lease_id: string;
  lease_duration: number;
  renewable: boolean;
  expires_at: number;
  /** Proxy delivery: the base URL to send requests to; the credential is injected there (src/proxy/). */
  proxy_url?: string;
}

export interface ResolveResponse {
  job_id: string;
  secrets: Record<string, ResolvedSecret>;
}

async function rollback(services: GatewayServices, checked: CheckedResolve, fetched: Fetched[], leases: LeaseRecord[], commitUnknown: boolean): Promise<void> {
  await Promise.allSettled(leases.map((l) => services.state.leases.revoke(l.leaseId)));
  await abandonDynamic(services, fetched, new Map(leases.map((l) => [l.alias, l.leaseId])), 'resolve_aborted');
  if (checked.reservation !== undefined) await releaseEventually(services, checked.reservation, commitUnknown);
}

/** Runs the resolve; on success the response may be sent (its audit event is durable, its nonce consumed). */
export async function resolveEnvelope(services: GatewayServices, state: ResolveState, signal: AbortSignal): Promise<ResolveResponse> {
  const checked = await runChain(state, services);
  let fetched: Fetched[] = [];
  let leases: LeaseRecord[] = [];
  let commitUnknown = false;
  try {
    fetched = await fetchSecrets(services, checked, signal);
    leases = buildLeases(checked, fetched, services.limits.staticLeaseSeconds);
    await services.state.leases.put(leases);
    const payload = checked.envelope.payload;
    await services.audit.record({
      action: 'resolve',
      outcome: 'granted',
      actor: actorOf(checked.identity),
      tenant: payload.tenant,
      job_id: payload.job_id,
      executor: payload.executor,
      crefs: fetched.map((f) => f.cref),
      lease_ids: leases.map((l) => l.leaseId),
      request_id: state.requestId,
      source: state.source,
      sensitive: { nonce: payload.nonce, token: checked.envelope.token },
      detail: { hmac_kid: checked.envelope.kid, mounts: [...new Set(fetched.map((f) => f.mount))], rules: checked.policyRules ?? [] },
    });
    const { nonceKey, jobId, owner } = checked.reservation!;
    let consumed: boolean;
    try {
      consumed = await services.state.nonces.consume(nonceKey, jobId, owner);
    } catch (err) {
      // The store may have applied the consume before failing to answer; the secrets were never sent.
      commitUnknown = true;
      throw err;
    }
    if (!consumed) throw new GatewayError('unavailable', { step: 'commit', reason: 'nonce reservation lost before commit' });
  } catch (err) {
    await rollback(services, checked, fetched, leases, commitUnknown);
    throw err;
  }
  const secrets: Record<string, ResolvedSecret> = {};
  fetched.forEach((f, i) => {
    const lease = leases[i]!;
    if (checked.envelope.payload.delivery?.[f.alias] === 'proxy') {
      secrets[f.alias] = proxyDelivery(services, lease, f.secret, checked.now);
      return;
    }
    secrets[f.alias] = {
      value: f.secret.value,
      ...('encoding' in f.secret && f.secret.encoding === 'base64' ? { encoding: 'base64' as const } : {}),
      lease_id: lease.leaseId,
      lease_duration: Math.max(0, Math.floor((lease.expiresAt - checked.now) / 1000)),
      renewable: lease.renewable,
      expires_at: Math.floor(lease.expiresAt / 1000),
    };
  });
  return { job_id: checked.envelope.payload.job_id, secrets };
}
