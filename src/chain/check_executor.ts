/**
 * Step 3, executor: the TLS identity is a registered, enabled executor bound to this certificate identity, and
 * it is the executor the payload is addressed to (a payload sent to the wrong executor stops here). The record
 * may come from the process's cache (src/executors/cache.ts); step 8 validates its version atomically with the
 * nonce reservation and re-runs this step and step 4 on the current record if it changed.
 */
import { deny } from '../errors.ts';
import { cachedExecutor, readExecutor } from '../executors/cache.ts';
import type { ExecutorRecord, StateStore } from '../state/contract.ts';
import type { ResolveState } from './context.ts';
import { acceptableSecret } from './verify_hmac.ts';

/** The checks of step 3 on a given record (undefined: not registered). */
export function checkExecutorRecord(state: ResolveState, record: ExecutorRecord | undefined): void {
  const { identity } = state;
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

export async function checkExecutor(state: ResolveState, store: StateStore): Promise<void> {
  const { identity } = state;
  const payload = state.envelope!.payload;
  if (payload.executor !== identity.id) {
    throw deny('forbidden', 'executor', `payload is addressed to executor ${payload.executor}, presented by ${identity.id}`);
  }
  const cached = await cachedExecutor(store, identity.id);
  // Only an acceptance is taken from the cache (step 8 validates it); a refusal, or a kid the cached record
  // cannot verify (a rotation since), is decided on the store's current record.
  if (!cached.fresh && cached.record !== undefined && acceptableSecret(cached.record, state.envelope!.kid, state.now) !== undefined) {
    try {
      checkExecutorRecord(state, cached.record);
      state.executorFresh = false;
      return;
    } catch {
      // fall through to the store's record
    }
  }
  const record = cached.fresh ? cached.record : await readExecutor(store, identity.id);
  state.executorFresh = true;
  checkExecutorRecord(state, record);
}
