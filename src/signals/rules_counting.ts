/**
 * Signals that count: denial bursts (probing), replays, renewals run into the job end, revocation failures, and
 * issuance or resolve rates far above an executor's own recent baseline. Counts live in the state store.
 */
import type { AuditEventInput } from '../audit/contract.ts';
import type { Alert } from './alert.ts';
import { context, executorOf, reaches, type Rule } from './rule.ts';

/** Denials per executor, tenant and source; rate-limit refusals are the limiter's own business, not probing. */
export const denialBurst: Rule = async (event, ctx) => {
  const rule = ctx.config.denial_burst;
  if (!rule.enabled || event.outcome !== 'denied' || event.code === 'rate_limited') return [];
  const subjects = [
    ['executor', executorOf(event)],
    ['tenant', event.tenant],
    ['source', event.source],
  ] as const;
  const alerts: Alert[] = [];
  for (const [kind, id] of subjects) {
    if (id === undefined) continue;
    const count = await reaches(ctx, `sig:deny:${kind}:${id}`, rule.window_seconds, rule.threshold);
    if (count === undefined) continue;
    alerts.push({ signal: 'denial_burst', subject: { kind, id }, ...context(event), facts: { count, window_seconds: rule.window_seconds, last_step: event.step ?? null } });
  }
  return alerts;
};

/** Every presentation refused as a replay is an alert of its own. */
export const replay: Rule = async (event, ctx) => {
  if (!ctx.config.replay.enabled || event.code !== 'replayed') return [];
  const executor = executorOf(event);
  const { count } = await ctx.counters.increment(`sig:replay:${executor ?? 'unknown'}`, 86_400_000, ctx.now);
  return [{ signal: 'replay', subject: { kind: 'executor', id: executor ?? 'unknown' }, ...context(event), crefs: event.crefs, facts: { replays_today: count } }];
};

/** Renewals cut at the job end (or refused past it), again and again: a client trying to outlive its job. */
export const renewalCap: Rule = async (event, ctx) => {
  const rule = ctx.config.renewal_cap;
  if (!rule.enabled || event.action !== 'lease.renew') return [];
  const atCap = event.detail?.capped_at_job_end === true || (event.outcome === 'denied' && event.step === 'lease');
  const executor = executorOf(event);
  if (!atCap || executor === undefined) return [];
  const count = await reaches(ctx, `sig:renewcap:${executor}`, rule.window_seconds, rule.threshold);
  return count === undefined ? [] : [{ signal: 'renewal_cap', subject: { kind: 'executor', id: executor }, ...context(event), facts: { count, window_seconds: rule.window_seconds } }];
};

/** Backend revocations failing on one mount: dynamic credentials are outliving their leases. */
export const revocationFailures: Rule = async (event, ctx) => {
  const rule = ctx.config.revocation_failures;
  if (!rule.enabled || event.action !== 'revocation' || event.outcome !== 'error') return [];
  const mount = typeof event.detail?.mount === 'string' ? event.detail.mount : 'unknown';
  const count = await reaches(ctx, `sig:revfail:${mount}`, rule.window_seconds, rule.threshold);
  return count === undefined ? [] : [{ signal: 'revocation_failures', subject: { kind: 'mount', id: mount }, ...context(event), facts: { count, window_seconds: rule.window_seconds, last_reason: event.reason ?? null } }];
};

function spikeAction(event: AuditEventInput): 'issue' | 'resolve' | undefined {
  if (event.outcome !== 'granted') return undefined;
  return event.action === 'job.issue' ? 'issue' : event.action === 'resolve' ? 'resolve' : undefined;
}

/** This window's count against the mean of the executor's previous windows; one alert per window at most. */
export const rateSpike: Rule = async (event, ctx) => {
  const rule = ctx.config.rate_spike;
  const action = spikeAction(event);
  const executor = event.executor;
  if (!rule.enabled || action === undefined || executor === undefined) return [];
  const key = `sig:rate:${action}:${executor}`;
  const windowMs = rule.window_seconds * 1000;
  const { count } = await ctx.counters.increment(key, windowMs, ctx.now, { retainWindows: rule.baseline_windows + 1 });
  if (count < rule.min_count) return [];
  const history = await ctx.counters.history(key, windowMs, ctx.now, rule.baseline_windows);
  // The baseline starts at the executor's first active window: a new executor is learning, not spiking.
  const first = history.findIndex((n) => n > 0);
  if (first < 0) return [];
  const known = history.slice(first);
  const baseline = known.reduce((a, b) => a + b, 0) / known.length;
  if (count <= rule.factor * baseline) return [];
  const { count: raised } = await ctx.counters.increment(`sig:rate:raised:${action}:${executor}`, windowMs, ctx.now);
  if (raised !== 1) return [];
  return [{ signal: 'rate_spike', subject: { kind: 'executor', id: executor }, ...context(event), facts: { action, count, baseline: Math.round(baseline * 100) / 100, factor: rule.factor, window_seconds: rule.window_seconds } }];
};
