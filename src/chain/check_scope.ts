/**
 * Step 7, scope: every cref lies in the payload's tenant, policy lets this executor read it, and a route maps it
 * to a backend. A compromised executor asking for another tenant's crefs stops here.
 */
import { deny } from '../errors.ts';
import { authorizeCref } from '../policy/authorize_cref.ts';
import type { Policy } from '../policy/policy.ts';
import type { CrefRouter } from '../routing/router.ts';
import type { ResolveState } from './context.ts';

export function checkScope(state: ResolveState, policy: Policy, router: CrefRouter): void {
  const payload = state.envelope!.payload;
  state.policyRules = [];
  for (const entry of state.crefs!) {
    // Step 6 already routed the cref when the router was given to it (same router, same config).
    const verdict = authorizeCref(policy, router, { tenant: payload.tenant, executor: state.executor!, cref: entry.cref, workload: state.identity, route: entry.route });
    if (!verdict.allowed) throw deny('forbidden', 'scope', verdict.reason);
    state.policyRules.push(verdict.rule);
    entry.route = verdict.route;
  }
}
