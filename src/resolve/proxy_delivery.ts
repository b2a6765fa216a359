/**
 * What a resolve answers for a cref marked for proxy delivery: the lease and the proxy URL for it, never the
 * value. The value fetched by the resolve stays in this replica's memory for the proxy to inject (src/proxy/credentials.ts).
 */
import type { DynamicSecret, StaticSecret } from '../../adapters/contract.ts';
import { deny } from '../errors.ts';
import type { GatewayServices } from '../services.ts';
import type { LeaseRecord } from '../state/contract.ts';
import { leaseView, type LeaseView } from '../leases/lease_view.ts';

export interface ProxiedSecret extends LeaseView {
  proxy_url: string;
}

/** Holds the credential for the proxy and returns the value-free answer for its alias. */
export function proxyDelivery(services: GatewayServices, lease: LeaseRecord, secret: StaticSecret | DynamicSecret, now: number): ProxiedSecret {
  // The issuance checked this too; a gateway started without the proxy must not fall back to handing out the value.
  if (services.proxy === undefined) throw deny('unavailable', 'proxy', 'proxy delivery is not configured on this replica');
  services.proxy.credentials.hold(lease, secret.value, 'handle' in secret);
  return {
    ...leaseView(lease, now),
    proxy_url: services.proxy.proxyUrl(lease.leaseId),
  };
}
