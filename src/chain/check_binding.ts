/**
 * Step 6, binding: the token was minted for exactly this payload (`pld`), job, tenant, nonce and executor, and
 * the executor's certificate is the one presenting it. A stolen token with another payload stops here.
 *
 * Then the job's own bindings (repository, ref, sha, run_id, workflow; src/envelope/bindings.ts): each must
 * equal the claim of the same name in the executor's workload OIDC token, byte for byte. A certificate proves
 * no repository or commit, so a certificate-authenticated executor cannot satisfy a bound job. Routes that
 * require bindings are checked again here, against today's config. Every refusal is `forbidden` at `binding`,
 * and names the binding (never its value) in the audit line.
 */
import { unmatchedBinding, unmetBinding } from '../envelope/bindings.ts';
import { parseCref } from '../envelope/cref.ts';
import { payloadDigest } from '../envelope/payload_digest.ts';
import { deny } from '../errors.ts';
import type { CrefRouter, ResolvedRoute } from '../routing/router.ts';
import type { ResolveState } from './context.ts';

export function checkBinding(state: ResolveState, router?: CrefRouter): void {
  const claims = state.claims!;
  const payload = state.envelope!.payload;
  const mismatch = (what: string) => deny('forbidden', 'binding', `token ${what} does not match the payload`);
  if (claims.pld !== payloadDigest(state.canonicalPayload!)) throw mismatch('pld');
  if (claims.sub !== payload.executor || claims.sub !== state.identity.id) throw mismatch('sub');
  if (claims.tenant !== payload.tenant) throw mismatch('tenant');
  if (claims.job_id !== payload.job_id) throw mismatch('job_id');
  if (claims.jti !== payload.nonce) throw mismatch('jti');
  if (state.executor!.tenant !== payload.tenant) {
    throw deny('forbidden', 'binding', `executor belongs to ${state.executor!.tenant}, payload names ${payload.tenant}`);
  }
  if (payload.expires_at * 1000 <= state.now) throw deny('expired', 'binding', 'the job has ended');
  checkJobBindings(state);
  if (router !== undefined) checkRouteBindings(state, router);
}

/** Every binding of the payload equals the workload identity's claim of that name (src/envelope/bindings.ts). */
function checkJobBindings(state: ResolveState): void {
  const unmatched = unmatchedBinding(state.envelope!.payload.bindings, state.identity);
  if (unmatched === undefined) return;
  state.auditDetail = { binding: unmatched.name, bound: unmatched.bound };
  throw deny('forbidden', 'binding', unmatched.reason);
}

/**
 * The bindings today's routes require for the payload's crefs (a route tightened after issuance applies at once).
 * Uses the crefs step 2 parsed (one per payload member, in order) and leaves each route found on its entry, so
 * step 7 routes no cref twice.
 */
function checkRouteBindings(state: ResolveState, router: CrefRouter): void {
  const payload = state.envelope!.payload;
  // Without step 2 (a caller running this step alone) the crefs are parsed here, and nothing is left for step 7.
  const entries = state.crefs ?? Object.values(payload.crefs).flatMap((raw) => {
    const cref = parseCref(raw);
    return cref === undefined ? [] : [{ cref, route: undefined as ResolvedRoute | undefined }];
  });
  for (const entry of entries) {
    const route = router.route(entry.cref);
    if (route === undefined) continue; // step 7 (scope) refuses crefs without a route
    entry.route = route;
    const unmet = unmetBinding(route, payload.bindings);
    if (unmet === undefined) continue;
    state.auditDetail = { binding: unmet.name, route_requirement: unmet.problem };
    throw deny('forbidden', 'binding', `route of ${entry.cref.raw} ${unmet.problem === 'missing' ? 'requires' : 'does not accept the job\'s'} ${unmet.name} binding`);
  }
}
