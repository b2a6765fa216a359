/** The audit `actor` of an authenticated identity. */
import type { AuditActor } from '../audit/contract.ts';
import type { Identity } from './identity.ts';

export function actorOf(identity: Identity): AuditActor {
  return { type: identity.role, id: identity.id, auth: identity.auth, fingerprint: identity.fingerprint };
}
