/** Per-request state carried on `ctx.state`, typed. */
import type { AuditAction, AuditEventInput } from '../audit/contract.ts';
import type { Identity } from '../identity/identity.ts';

export interface RequestState {
  requestId: string;
  identity?: Identity;
  /** What the denial auditor should record if the request fails: filled in as the handler learns it. */
  audit: { action: AuditAction } & Partial<Omit<AuditEventInput, 'action' | 'outcome' | 'actor'>>;
}

export type KoaState = RequestState;
