/**
 * Step 7, scope: every cref lies in the payload's tenant, policy lets this executor read it, and a route maps it
 * to a backend. A compromised executor asking for another tenant's crefs stops here.
 */
import { deny } from '../errors.ts';
import type { Policy } from '../policy/policy.ts';
import type { CrefRouter } from '../routing/router.ts';
import type { ResolveState } from './context.ts';

export function checkScope(state: ResolveState, policy: Policy, router: CrefRouter): void {
  const payload = state.envelope!.payload;
  state.policyRules = [];
  for (const entry of state.crefs!) {
    if (entry.cref.tenant !== payload.tenant) {
      throw deny('forbidden', 'scope', `cref ${entry.cref.raw} is outside tenant ${payload.tenant}`);
    }
    const decision = policy.mayRead(state.executor!, entry.cref, state.identity);
    if (!decision.allowed) throw deny('forbidden', 'scope', `policy denies ${entry.cref.raw}: ${decision.rule}`);
    state.policyRules.push(decision.rule);
    // Step 6 already routed the cref when the router was given to it (same router, same config).
    const route = entry.route ?? router.route(entry.cref);
    if (route === undefined) throw deny('forbidden', 'scope', `no route for ${entry.cref.raw}`);
    entry.route = route;
  }
}
