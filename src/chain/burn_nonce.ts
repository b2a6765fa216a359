/**
 * Step 8, nonce: atomic set-if-absent in the shared store, held for as long as any replica would still accept the
 * token (`exp` + clock skew + a margin, src/state/retention.ts), and only for an open job. Run last so a request
 * that fails earlier never burns a legitimate executor's nonce. The nonce is only reserved here; the resolve's
 * commit consumes it once the response may be sent, or it is released on failure.
 */
import { deny } from '../errors.ts';
import type { StateStore } from '../state/contract.ts';
import { nonceRetainUntilMs } from '../state/retention.ts';
import { tokenRefusedFromMs } from '../tokens/request_token.ts';
import type { ResolveState } from './context.ts';
import { releaseEventually } from './release_nonce.ts';

export async function burnNonce(state: ResolveState, store: StateStore, now: () => number, clockSkewSeconds: number): Promise<void> {
  const payload = state.envelope!.payload;
  const nonceKey = `${payload.tenant}:${payload.nonce}`;
  const owner = state.requestId;
  const retainUntil = nonceRetainUntilMs(tokenRefusedFromMs(state.claims!.exp, clockSkewSeconds));
  const reservation = { nonceKey, jobId: payload.job_id, owner, retainUntil };
  let outcome: Awaited<ReturnType<StateStore['nonces']['reserve']>>;
  try {
    outcome = await store.nonces.reserve(nonceKey, payload.job_id, owner, retainUntil);
  } catch (err) {
    // The store may have applied the reservation before failing to answer: release it (owner-checked) once it can.
    void releaseEventually({ state: store, now }, reservation);
    throw err;
  }
  if (outcome === 'replayed') throw deny('replayed', 'nonce', 'nonce already used or in use');
  if (outcome === 'job_completed') throw deny('expired', 'nonce', 'the job was completed');
  if (outcome === 'job_unknown') throw deny('expired', 'nonce', 'the job is unknown to the state store');
  state.reservation = reservation;
}
