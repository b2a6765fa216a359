/**
 * The one rule for "may this executor read this cref": the cref lies in the job's tenant, policy allows it for the
 * executor (with the workload's claims when a workload is resolving), and a route maps it to a backend. Issuance
 * (`POST /v1/jobs`) and resolve (chain step 7, `scope`) both ask it, so a job can only be issued for crefs that its
 * resolve would accept on the same grounds. Each caller turns a refusal into its own error and step.
 */
import type { Cref } from '../envelope/cref.ts';
import type { Identity } from '../identity/identity.ts';
import type { ResolvedRoute, CrefRouter } from '../routing/router.ts';
import type { ExecutorRecord } from '../state/contract.ts';
import type { Policy } from './policy.ts';

/** Why a cref was refused: outside the tenant, denied by policy, or no route maps it. */
export type CrefRefusal = 'tenant' | 'policy' | 'route';

export type CrefAuthorization =
  | { allowed: true; rule: string; route: ResolvedRoute }
  | { allowed: false; refusal: CrefRefusal; reason: string };

export interface CrefRequest {
  tenant: string;
  executor: ExecutorRecord;
  cref: Cref;
  /** The resolving workload; absent at issuance, where claim-bound grants are enforced later, at resolve. */
  workload?: Identity;
  /** A route already found for this cref (resolve routes at step 6 with the same router and config). */
  route?: ResolvedRoute;
}

/** Decides one cref in the fixed order tenant, policy, route; the reason names the cref (never a secret). */
export function authorizeCref(policy: Policy, router: CrefRouter, request: CrefRequest): CrefAuthorization {
  const { cref } = request;
  if (cref.tenant !== request.tenant) return { allowed: false, refusal: 'tenant', reason: `cref ${cref.raw} is outside tenant ${request.tenant}` };
  const decision = policy.mayRead(request.executor, cref, request.workload);
  if (!decision.allowed) return { allowed: false, refusal: 'policy', reason: `policy denies ${cref.raw}: ${decision.rule}` };
  const route = request.route ?? router.route(cref);
  if (route === undefined) return { allowed: false, refusal: 'route', reason: `no route for ${cref.raw}` };
  return { allowed: true, rule: decision.rule, route };
}
