/**
 * Step 8, nonce: atomic set-if-absent in the shared store, kept until the token expires, and only for an open
 * job. Run last so a request that fails earlier never burns a legitimate executor's nonce. The nonce is only
 * reserved here; the resolve consumes it once the response is committed, or releases it on failure.
 */
import { deny } from '../errors.ts';
import type { StateStore } from '../state/contract.ts';
import type { ResolveState } from './context.ts';

export async function burnNonce(state: ResolveState, store: StateStore): Promise<void> {
  const payload = state.envelope!.payload;
  const nonceKey = `${payload.tenant}:${payload.nonce}`;
  const owner = state.requestId;
  const outcome = await store.nonces.reserve(nonceKey, payload.job_id, owner, state.claims!.exp * 1000);
  if (outcome === 'replayed') throw deny('replayed', 'nonce', 'nonce already used or in use');
  if (outcome === 'job_completed') throw deny('expired', 'nonce', 'the job was completed');
  if (outcome === 'job_unknown') throw deny('expired', 'nonce', 'the job is unknown to the state store');
  state.reservation = { nonceKey, owner };
}
