/**
 * Fetches every cref of a checked resolve, concurrently (a job's crefs may span backends), each through its
 * mount's adapter with the mount's timeout. All or nothing: if any fetch fails, dynamic credentials already
 * minted for the other crefs are handed to the revocation queue and the first failure is thrown.
 */
import type { DynamicSecret, StaticSecret } from '../../adapters/contract.ts';
import type { CheckedResolve } from '../chain/context.ts';
import { AdapterError } from '../../adapters/contract.ts';
import { asGatewayError } from '../errors.ts';
import type { GatewayServices } from '../services.ts';
import { abandonDynamic } from './abandon.ts';

export interface Fetched {
  alias: string;
  cref: string;
  mount: string;
  secret: StaticSecret | DynamicSecret;
  dynamic: boolean;
}

export async function fetchSecrets(services: GatewayServices, checked: CheckedResolve, signal: AbortSignal): Promise<Fetched[]> {
  const payload = checked.envelope.payload;
  const job = { jobId: payload.job_id, tenant: payload.tenant, executor: payload.executor, expiresAt: payload.expires_at * 1000, bindings: payload.bindings as Record<string, string> | undefined };
  const maxTtlSeconds = Math.max(1, Math.floor((job.expiresAt - checked.now) / 1000));
  const settled = await Promise.allSettled(
    checked.crefs.map(async ({ alias, cref, route }): Promise<Fetched> => {
      const adapter = services.mounts.get(route.mount);
      if (route.dynamic) {
        if (adapter.issue === undefined) throw new AdapterError('invalid_reference', `mount ${route.mount} cannot issue dynamic credentials`);
        const secret = await adapter.issue({ path: route.path, field: route.field, maxTtlSeconds, job, routeOptions: route.options, signal });
        return { alias, cref: cref.raw, mount: route.mount, secret, dynamic: true };
      }
      const secret = await adapter.read({ path: route.path, field: route.field, version: route.version, signal });
      return { alias, cref: cref.raw, mount: route.mount, secret, dynamic: false };
    }),
  );
  const ok = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) {
    await abandonDynamic(services, checked, ok, 'resolve_aborted');
    throw asGatewayError(failed.reason, 'backend');
  }
  return ok;
}
