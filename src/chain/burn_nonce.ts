/**
 * Step 8, nonce: atomic set-if-absent in the shared store, held for as long as any replica would still accept the
 * token (`exp` + clock skew + a margin, src/state/retention.ts), and only for an open job. Run last so a request
 * that fails earlier never burns a legitimate executor's nonce. The nonce is only reserved here; the resolve's
 * commit consumes it once the response may be sent, or it is released on failure.
 *
 * The same atomic step returns the executor record's version: if step 3 used a cached record that a rotation,
 * disable or re-enable has since changed, the record is re-read and steps 3–4 re-run on it (the reservation is
 * released if they now fail), so a change the store applied before this step is never missed.
 */
import { deny } from '../errors.ts';
import { readExecutor } from '../executors/cache.ts';
import type { ReserveOutcome, StateStore } from '../state/contract.ts';
import { nonceRetainUntilMs } from '../state/retention.ts';
import { tokenRefusedFromMs } from '../tokens/request_token.ts';
import { checkExecutorRecord } from './check_executor.ts';
import type { Reservation, ResolveState } from './context.ts';
import { releaseEventually } from './release_nonce.ts';
import { verifyHmac } from './verify_hmac.ts';

function refusal(outcome: Exclude<ReserveOutcome, 'reserved'>) {
  if (outcome === 'replayed') return deny('replayed', 'nonce', 'nonce already used or in use');
  if (outcome === 'job_completed') return deny('expired', 'nonce', 'the job was completed');
  return deny('expired', 'nonce', 'the job is unknown to the state store');
}

/** Steps 3–4 again on the store's current record; the reservation is released if they fail. */
async function revalidate(state: ResolveState, store: StateStore, now: () => number, reservation: Reservation): Promise<void> {
  try {
    checkExecutorRecord(state, await readExecutor(store, state.identity.id));
    verifyHmac(state);
  } catch (err) {
    await releaseEventually({ state: store, now }, reservation);
    throw err;
  }
}

export async function burnNonce(state: ResolveState, store: StateStore, now: () => number, clockSkewSeconds: number): Promise<void> {
  const payload = state.envelope!.payload;
  const nonceKey = `${payload.tenant}:${payload.nonce}`;
  const owner = state.requestId;
  const retainUntil = nonceRetainUntilMs(tokenRefusedFromMs(state.claims!.exp, clockSkewSeconds));
  const reservation: Reservation = { nonceKey, jobId: payload.job_id, owner, retainUntil };
  let result: Awaited<ReturnType<StateStore['nonces']['reserveFor']>>;
  try {
    result = await store.nonces.reserveFor({ ...reservation, executorId: state.identity.id });
  } catch (err) {
    // The store may have applied the reservation before failing to answer: release it (owner-checked) once it can.
    void releaseEventually({ state: store, now }, reservation);
    throw err;
  }
  if (result.outcome !== 'reserved') throw refusal(result.outcome);
  // A record read fresh at step 3 needs no check; a cached one must still be the store's version.
  if (state.executorFresh === false && result.executorVersion !== state.executor?.version) await revalidate(state, store, now, reservation);
  state.reservation = reservation;
}
