/**
 * Disable means refused everywhere, at once: routes an executor calls besides resolve (lease renewal) check the
 * registry on every request, so a disabled executor cannot stretch the leases it already holds.
 */
import { deny, type Step } from '../errors.ts';
import type { Identity } from '../identity/identity.ts';
import type { StateStore } from '../state/contract.ts';

/** Throws unless an executor caller is registered and enabled; other roles pass untouched. */
export async function assertExecutorActive(state: StateStore, identity: Identity, step: Step): Promise<void> {
  if (identity.role !== 'executor') return;
  const record = await state.executors.get(identity.id);
  if (record === undefined) throw deny('unauthenticated', step, `executor ${identity.id} is not registered`);
  if (!record.enabled) throw deny('forbidden', step, `executor ${identity.id} is disabled`);
}
