/** Readiness: the state store answers, every required audit sink is healthy, and each backend's health. */
import type { GatewayServices } from './services.ts';

export interface ReadinessReport {
  ready: boolean;
  state: { ok: boolean; detail?: string | undefined };
  audit: Array<{ name: string; required: boolean; ok: boolean }>;
  backends: Array<{ mount: string; ok: boolean; breaker: string }>;
}

export async function readiness(services: GatewayServices): Promise<ReadinessReport> {
  const [state, audit, backends] = await Promise.all([
    services.state.health().catch(() => ({ ok: false, detail: 'state store unreachable' })),
    services.audit.health().catch(() => [{ name: 'audit', required: true, ok: false }]),
    services.mounts.health(),
  ]);
  // Backends are reported but do not gate readiness: one dead backend must not take every route offline.
  const ready = state.ok && audit.every((s) => !s.required || s.ok);
  return {
    ready,
    state: { ok: state.ok, detail: state.detail },
    audit: audit.map((s) => ({ name: s.name, required: s.required, ok: s.ok })),
    backends: backends.map((b) => ({ mount: b.mount, ok: b.ok, breaker: b.breaker })),
  };
}
