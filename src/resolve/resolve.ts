/**
 * A whole resolve: the eight-step chain, then the backends, the dynamic leases, the durable audit event, and only
 * then the one atomic commit (nonce consumed, job still open, static leases recorded). If anything after the
 * reservation fails, what was done is undone (leases revoked with their backend revocations queued, unrecorded
 * dynamic credentials queued for revocation, the reservation released) and the error goes up to be audited; after
 * the granted event, that denial names the event it aborts.
 */
import { releaseEventually } from '../chain/release_nonce.ts';
import { abandonDynamic, revokeEventually } from './abandon.ts';
import { runChain } from '../chain/run_chain.ts';
import type { CheckedResolve, ResolveState } from '../chain/context.ts';
import { GatewayError, asGatewayError, deny } from '../errors.ts';
import type { GatewayServices } from '../services.ts';
import type { CommitOutcome, LeaseRecord } from '../state/contract.ts';
import { buildLeases } from './build_leases.ts';
import { fetchSecrets, type Fetched } from './fetch_secrets.ts';
import { actorOf } from '../identity/audit_actor.ts';
import { proxyDelivery } from './proxy_delivery.ts';
import { leaseView } from '../leases/lease_view.ts';

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

interface RollbackState {
  /** Leases the store may hold: revoked (dynamic ones queue their backend revocation in the same step). */
  recorded: LeaseRecord[];
  /** Dynamic credentials minted but never recorded as leases: their revocation is queued directly. */
  unrecorded: Fetched[];
  /** The commit failed without an answer: undo a consumption the store may have applied. */
  commitUnknown: boolean;
}

async function rollback(services: GatewayServices, checked: CheckedResolve, undo: RollbackState): Promise<void> {
  await Promise.all([
    ...undo.recorded.map((l) => revokeEventually(services, l, 'resolve_aborted')),
    abandonDynamic(services, checked, undo.unrecorded, 'resolve_aborted'),
  ]);
  await releaseEventually(services, checked.reservation!, undo.commitUnknown);
}

/** Why a commit was refused: the job closed first (a completion won the race), or the reservation is gone. */
function commitRefusal(outcome: Exclude<CommitOutcome, 'committed'>): GatewayError {
  if (outcome === 'job_completed') return deny('expired', 'commit', 'the job was completed before the commit');
  if (outcome === 'job_unknown') return deny('expired', 'commit', 'the job is unknown to the state store at commit');
  return new GatewayError('unavailable', { step: 'commit', reason: 'nonce reservation lost before commit' });
}

/**
 * Runs the resolve; on success the response may be sent. The order is DESIGN.md's: dynamic leases recorded (their
 * revoke handle exists before anything can leave), the audit event durable, then ONE atomic commit (nonce
 * consumed, job still open, static leases recorded). Anything failing after the reservation is rolled back.
 */
export async function resolveEnvelope(services: GatewayServices, state: ResolveState, signal: AbortSignal): Promise<ResolveResponse> {
  const checked = await runChain(state, services);
  const reservation = checked.reservation!;
  let fetched: Fetched[] = [];
  let leases: LeaseRecord[] = [];
  const undo: RollbackState = { recorded: [], unrecorded: [], commitUnknown: false };
  let granted: string | undefined;
  try {
    fetched = await fetchSecrets(services, checked, signal);
    leases = buildLeases(checked, fetched, services.limits.staticLeaseSeconds);
    const dynamic = leases.filter((l) => l.handle !== undefined);
    const statics = leases.filter((l) => l.handle === undefined);
    undo.unrecorded = fetched.filter((f) => f.dynamic);
    if (dynamic.length > 0) {
      try {
        await services.state.leases.put(dynamic);
      } catch (err) {
        // Refused (job completed) or unknown (the store failed to answer): queue the credentials' revocation
        // directly, and revoke the leases too in case the write did land (both are idempotent).
        undo.recorded = dynamic;
        throw err;
      }
      undo.recorded = dynamic;
      undo.unrecorded = [];
    }
    const payload = checked.envelope.payload;
    // Where the commit cannot write the static leases' global indexes itself (Redis Cluster: another slot), they
    // are prepared while the audit event is made durable (no extra wait). Both settle before going on: a failed
    // prepare must not abort while the granted event is still being written, or the abort's denial could not name it.
    const [recorded, prepared] = await Promise.allSettled([
      services.audit.record({
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
      }),
      services.state.nonces.commitIndexesLeases || statics.length === 0 ? undefined : services.state.leases.prepare(statics),
    ]);
    if (recorded.status === 'rejected') throw recorded.reason;
    granted = recorded.value.event_id;
    if (prepared.status === 'rejected') throw asGatewayError(prepared.reason, 'commit');
    let outcome: CommitOutcome;
    try {
      outcome = await services.state.nonces.commit({ ...reservation, leases: statics });
    } catch (err) {
      // The store may have applied the commit before failing to answer; the secrets were never sent.
      undo.commitUnknown = true;
      undo.recorded = leases;
      throw asGatewayError(err, 'commit');
    }
    if (outcome !== 'committed') throw commitRefusal(outcome);
  } catch (err) {
    // After the granted event, the denial the route records is the follow-up that aborts it (same request id).
    if (granted !== undefined) state.auditDetail = { ...state.auditDetail, aborts_event: granted, rolled_back_leases: leases.map((l) => l.leaseId) };
    await rollback(services, checked, undo);
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
      ...leaseView(lease, checked.now),
    };
  });
  return { job_id: checked.envelope.payload.job_id, secrets };
}
