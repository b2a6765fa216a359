/**
 * The delivery marking at issuance: a coordinator may mark aliases for proxy delivery. Each marked alias must be
 * one of the job's crefs and route to a mount whose route configures `proxy:`; a route with `proxy.required`
 * refuses value delivery. Checked before the payload is signed, so what the executor presents is what was allowed.
 */
import { parseCref } from '../envelope/cref.ts';
import { deny } from '../errors.ts';
import type { CrefRouter } from '../routing/router.ts';

/** Throws `forbidden` at `policy` if the marking is not allowed; returns the member to sign into the payload. */
export function checkDelivery(router: CrefRouter, crefs: Record<string, string>, delivery: Record<string, 'proxy'> | undefined): { delivery?: Record<string, 'proxy'> } {
  for (const alias of Object.keys(delivery ?? {})) {
    if (!Object.hasOwn(crefs, alias)) throw deny('malformed', 'shape', `delivery.${alias} is not a cref of the job`, `delivery.${alias} is not in crefs`);
  }
  for (const [alias, raw] of Object.entries(crefs)) {
    const route = router.route(parseCref(raw)!);
    const proxied = delivery?.[alias] === 'proxy';
    if (proxied && route?.proxy === undefined) throw deny('forbidden', 'policy', `no proxy is configured for the route of ${raw}`, `crefs.${alias} cannot be delivered through the proxy`);
    if (!proxied && route?.proxy?.required === true) throw deny('forbidden', 'policy', `the route of ${raw} requires proxy delivery`, `crefs.${alias} must be delivered through the proxy`);
  }
  return delivery === undefined ? {} : { delivery };
}
