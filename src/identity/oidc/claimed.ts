/**
 * What a refused workload token claimed, for its audit line. Nothing here is verified: the issuer and subject
 * are read from the unverified payload and labelled as claimed, and the token itself is recorded only as the
 * trail's keyed HMAC (the `sensitive` field), the same way request tokens are, so an operator can match a
 * refusal to a token they hold without the audit trail holding a replayable credential.
 */
import { decodeJwt } from 'jose';
import type { AuditActor } from '../../audit/contract.ts';

const MAX_CLAIM_CHARS = 256;

/** A claim as a bounded string, or undefined when it is absent or not a string. */
function claim(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.length > MAX_CLAIM_CHARS ? `${value.slice(0, MAX_CLAIM_CHARS)}…` : value;
}

/** The audit fields of a refused OIDC bearer token: a labelled actor, the claimed issuer and subject, the token to hash. */
export function claimedTokenAudit(token: string): {
  actor: AuditActor;
  sensitive: { oidc_token: string };
  detail: { claimed_issuer: string | null; claimed_subject: string | null; claims_verified: false };
} {
  let payload: Record<string, unknown> = {};
  try {
    payload = decodeJwt(token);
  } catch {
    // Not a decodable JWT: nothing is claimed, the digest alone names the presentation.
  }
  const issuer = claim(payload.iss);
  const subject = claim(payload.sub);
  return {
    actor: { type: 'unknown', id: `claimed:${subject ?? '?'}`, auth: 'oidc' },
    sensitive: { oidc_token: token },
    detail: { claimed_issuer: issuer ?? null, claimed_subject: subject ?? null, claims_verified: false },
  };
}
