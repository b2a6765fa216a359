/**
 * Releasing a nonce reservation when a resolve fails after step 8 (or when step 8 itself failed without knowing
 * whether the store applied it). If the state store is down, the release is retried in the background until it
 * succeeds or the nonce's retention ends; otherwise the reservation would outlive the outage and the executor's retry of
 * the same envelope would be refused as a replay. The release is owner-checked, so it never frees another
 * request's reservation, and a consumed nonce never becomes replayable.
 */
import type { GatewayServices } from '../services.ts';
import type { Reservation } from './context.ts';

export async function releaseEventually(
  services: Pick<GatewayServices, 'state' | 'now'>,
  reservation: Reservation,
  /** True when `consume` failed without an answer: undo a consumption the store may have applied. */
  commitUnknown = false,
  delayMs = 100,
): Promise<void> {
  const { nonceKey, jobId, owner } = reservation;
  try {
    if (commitUnknown) await services.state.nonces.revertConsume(nonceKey, jobId, owner);
    else await services.state.nonces.release(nonceKey, jobId, owner);
  } catch {
    // Past the retention deadline the store forgets the nonce by itself.
    if (services.now() + delayMs >= reservation.retainUntil) return;
    setTimeout(() => void releaseEventually(services, reservation, commitUnknown, Math.min(delayMs * 2, 2000)), delayMs).unref();
  }
}
