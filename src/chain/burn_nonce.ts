/**
 * Step 8, nonce: atomic set-if-absent in the shared store, kept until the token expires, and only for an open
 * job. Run last so a request that fails earlier never burns a legitimate executor's nonce. The nonce is only
 * reserved here; the resolve consumes it once the response is committed, or releases it on failure.
 */
import { deny } from '../errors.ts';
import type { StateStore } from '../state/contract.ts';
import type { ResolveState } from './context.ts';
import { releaseEventually } from './release_nonce.ts';

export async function burnNonce(state: ResolveState, store: StateStore, now: () => number): Promise<void> {
  const payload = state.envelope!.payload;
  const nonceKey = `${payload.tenant}:${payload.nonce}`;
  const owner = state.requestId;
  const expiresAt = state.claims!.exp * 1000;
  let outcome: Awaited<ReturnType<StateStore['nonces']['reserve']>>;
  try {
    outcome = await store.nonces.reserve(nonceKey, payload.job_id, owner, expiresAt);
  } catch (err) {
    // The store may have applied the reservation before failing to answer: release it (owner-checked) once it can.
    void releaseEventually({ state: store, now }, { nonceKey, jobId: payload.job_id, owner }, expiresAt);
    throw err;
  }
  if (outcome === 'replayed') throw deny('replayed', 'nonce', 'nonce already used or in use');
  if (outcome === 'job_completed') throw deny('expired', 'nonce', 'the job was completed');
  if (outcome === 'job_unknown') throw deny('expired', 'nonce', 'the job is unknown to the state store');
  state.reservation = { nonceKey, jobId: payload.job_id, owner };
}
