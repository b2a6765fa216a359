/** What the resolve chain carries from step to step. Each step reads what earlier steps established. */
import type { Cref } from '../envelope/cref.ts';
import type { Envelope, RequestTokenClaims } from '../envelope/schema.ts';
import type { Identity } from '../identity/identity.ts';
import type { ResolvedRoute } from '../routing/router.ts';
import type { ExecutorRecord } from '../state/contract.ts';

/** A nonce reservation made at step 8: what the commit consumes or a failure releases. */
export interface Reservation {
  nonceKey: string;
  jobId: string;
  /** Owner token (the request id): only this request may consume or release it. */
  owner: string;
  /** Epoch ms until which the nonce is held (src/state/retention.ts nonceRetainUntilMs). */
  retainUntil: number;
}

export interface ResolveState {
  requestId: string;
  /** Request time, epoch ms (one clock reading for the whole chain). */
  now: number;
  identity: Identity;
  /** Client source address (audit line, network signals). */
  source?: string | undefined;
  rawBody: string;
  envelope?: Envelope;
  /** RFC 8785 text of the payload, exactly as received (shape checked it is canonical). */
  canonicalPayload?: string;
  executor?: ExecutorRecord;
  /** False when step 3 used a cached record: step 8 then checks its version against the store's. */
  executorFresh?: boolean;
  claims?: RequestTokenClaims;
  crefs?: Array<{ alias: string; cref: Cref; route: ResolvedRoute }>;
  /** Set by a step that refuses, for the denial's audit detail (step 6 names the mismatching job binding). */
  auditDetail?: Record<string, string | string[]>;
  /** Step 7: the policy rule that allowed each cref, in order (for the audit line). */
  policyRules?: string[];
  /** Set once step 8 reserved the nonce: the owner token used to consume or release it. */
  reservation?: Reservation;
}

/** The parts of a ResolveState that are guaranteed after the whole chain ran. */
export type CheckedResolve = Required<Omit<ResolveState, 'reservation' | 'policyRules' | 'source' | 'auditDetail' | 'executorFresh'>> &
  Pick<ResolveState, 'reservation' | 'policyRules' | 'source' | 'auditDetail' | 'executorFresh'>;
