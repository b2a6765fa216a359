/**
 * Automatic response: a policy may disable an executor after N replays in a day or on a burst of its denials.
 * The disable goes to the shared executor registry (so every replica refuses the executor at once) and is
 * audited as `executor.disable` by the system; only an admin enables the executor again.
 */
import type { AuditTrail } from '../audit/contract.ts';
import type { ExecutorRegistry } from '../state/contract.ts';
import type { Alert } from './alert.ts';
import type { SignalsConfig } from './config.ts';

/** Whether the policy wants the alert's executor disabled. */
export function callsForDisable(alert: Alert, policy: SignalsConfig['auto_disable']): boolean {
  if (alert.subject.kind !== 'executor') return false;
  if (alert.signal === 'replay') {
    const replays = alert.facts.replays_today;
    return policy.after_replays !== undefined && typeof replays === 'number' && replays >= policy.after_replays;
  }
  return alert.signal === 'denial_burst' && policy.on_denial_burst;
}

/** Disables the alert's executor if it is enabled; audits the disable. Returns whether this call disabled it. */
export async function disableExecutor(alert: Alert, deps: { executors: ExecutorRegistry; audit: AuditTrail; replica: string; now: number }): Promise<boolean> {
  const id = alert.subject.id;
  const current = await deps.executors.get(id);
  if (current === undefined || !current.enabled) return false;
  await deps.executors.setEnabled(id, false, deps.now);
  await deps.audit.record({
    action: 'executor.disable',
    outcome: 'ok',
    reason: `automatic: ${alert.signal}`,
    actor: { type: 'system', id: deps.replica, auth: 'system' },
    tenant: current.tenant,
    executor: id,
    request_id: alert.request_id,
    detail: { automatic: true, signal: alert.signal, ...alert.facts },
  });
  return true;
}
