/**
 * Step 3, executor: the TLS identity is a registered, enabled executor bound to this certificate identity, and
 * it is the executor the payload is addressed to (a payload sent to the wrong executor stops here).
 */
import { deny } from '../errors.ts';
import type { StateStore } from '../state/contract.ts';
import type { ResolveState } from './context.ts';

export async function checkExecutor(state: ResolveState, store: StateStore): Promise<void> {
  const { identity } = state;
  const payload = state.envelope!.payload;
  if (payload.executor !== identity.id) {
    throw deny('forbidden', 'executor', `payload is addressed to executor ${payload.executor}, presented by ${identity.id}`);
  }
  const record = await store.executors.get(identity.id);
  if (record === undefined) throw deny('unauthenticated', 'executor', `executor ${identity.id} is not registered`);
  if (!record.enabled) throw deny('forbidden', 'executor', `executor ${identity.id} is disabled`);
  // A workload token has no certificate to bind: the config's mapping rule (issuer + claims → executor, tenant)
  // is its binding, and the tenant check below still applies.
  if (identity.auth !== 'oidc' && !record.identities.includes(identity.binding)) {
    throw deny('unauthenticated', 'executor', `identity ${identity.binding} is not bound to executor ${identity.id}`);
  }
  if (identity.tenant !== undefined && identity.tenant !== record.tenant) {
    throw deny('unauthenticated', 'executor', `certificate names tenant ${identity.tenant}, executor belongs to ${record.tenant}`);
  }
  state.executor = record;
}
