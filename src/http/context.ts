/** Per-request state carried on `ctx.state`, typed. */
import type { AuditAction, AuditActor, AuditEventInput } from '../audit/contract.ts';
import type { Identity } from '../identity/identity.ts';

export interface RequestState {
  requestId: string;
  identity?: Identity;
  /** Who a refused credential claimed to be (unverified, labelled so), for the denial's audit actor. */
  claimedActor?: AuditActor;
  /** What the denial auditor should record if the request fails: filled in as the handler learns it. */
  audit: { action: AuditAction } & Partial<Omit<AuditEventInput, 'action' | 'outcome' | 'actor'>>;
}

export type KoaState = RequestState;
