/** The shape every signal rule has, and the helpers they share. */
import type { AuditEventInput } from '../audit/contract.ts';
import type { CounterStore, MemberSetStore } from '../state/contract.ts';
import type { Alert } from './alert.ts';
import type { SignalsConfig } from './config.ts';

export interface SignalContext {
  config: SignalsConfig;
  counters: CounterStore;
  sets: MemberSetStore;
  /** When the detector looked at the event, epoch ms (the gateway clock, so windows match the rate limiter). */
  now: number;
}

/** A rule looks at one durable audit event and returns the alerts it raises (usually none). */
export type Rule = (event: AuditEventInput, ctx: SignalContext) => Promise<Alert[]>;

/** The executor an event is about: the authenticated executor if it made the request, else the one named. */
export function executorOf(event: AuditEventInput): string | undefined {
  return event.actor.type === 'executor' ? event.actor.id : event.executor;
}

/** The part of an event an alert repeats, so the alert sits next to its cause in a timeline. */
export function context(event: AuditEventInput): Pick<Alert, 'tenant' | 'executor' | 'job_id' | 'source' | 'request_id'> {
  return { tenant: event.tenant, executor: executorOf(event), job_id: event.job_id, source: event.source, request_id: event.request_id };
}

/**
 * Counts the event in a shared window and reports whether this very increment reached `threshold`. Exactly one
 * increment across all replicas sees the count equal the threshold, so a burst raises one alert per window.
 */
export async function reaches(ctx: SignalContext, key: string, windowSeconds: number, threshold: number): Promise<number | undefined> {
  const { count } = await ctx.counters.increment(key, windowSeconds * 1000, ctx.now);
  return count === threshold ? count : undefined;
}
