/**
 * Step 4, HMAC: constant-time check of the payload tag with the secret version the envelope names: the current
 * one, or the previous one while its grace window after a rotation lasts.
 */
import { tagMatches } from '../crypto/hmac.ts';
import { deny } from '../errors.ts';
import type { ExecutorRecord, HmacSecretVersion } from '../state/contract.ts';
import { isAccepted } from '../state/secret_grace.ts';
import type { ResolveState } from './context.ts';

/** The secret version `kid` names if it may still verify at `now`; undefined otherwise. */
export function acceptableSecret(record: ExecutorRecord, kid: string, now: number): HmacSecretVersion | undefined {
  const version = record.secrets.find((s) => s.kid === kid);
  if (version === undefined) return undefined;
  if (!isAccepted(version, record.graceMs, now)) return undefined;
  return version;
}

export function verifyHmac(state: ResolveState): void {
  const { kid, sig } = state.envelope!;
  const version = acceptableSecret(state.executor!, kid, state.now);
  if (version === undefined) throw deny('unauthenticated', 'hmac', `HMAC key ${kid} is unknown or past its grace window`);
  if (!tagMatches(version.secret, state.canonicalPayload!, sig)) throw deny('unauthenticated', 'hmac', 'HMAC tag mismatch');
}
