/**
 * Signals of novelty: an executor reading a cref it never read, or presenting from a network it never used.
 * What an executor has read and where it came from are shared member sets, so every replica learns together.
 * An executor with no history yet is learning, not anomalous: its first resolve fills the sets silently.
 */
import { sourceNetwork } from './network.ts';
import { context, executorOf, type Rule } from './rule.ts';

const DAY_MS = 86_400_000;

/** A granted resolve that reads a cref this executor never read before. */
export const newCref: Rule = async (event, ctx) => {
  const rule = ctx.config.new_cref;
  const executor = executorOf(event);
  if (!rule.enabled || event.action !== 'resolve' || event.outcome !== 'granted' || executor === undefined) return [];
  const crefs = event.crefs ?? [];
  if (crefs.length === 0) return [];
  const { added, sizeBefore } = await ctx.sets.add(`sig:crefs:${executor}`, crefs, rule.remember_days * DAY_MS);
  if (added.length === 0 || sizeBefore === 0) return [];
  return [{ signal: 'new_cref', subject: { kind: 'executor', id: executor }, ...context(event), crefs: added, facts: { known_crefs: sizeBefore } }];
};

/** A granted resolve or renewal from a source network this executor never presented from before. */
export const newNetwork: Rule = async (event, ctx) => {
  const rule = ctx.config.new_network;
  const executor = event.actor.type === 'executor' ? event.actor.id : undefined;
  const served = (event.action === 'resolve' && event.outcome === 'granted') || (event.action === 'lease.renew' && event.outcome === 'ok');
  if (!rule.enabled || !served || executor === undefined) return [];
  const network = sourceNetwork(event.source, rule.ipv4_prefix, rule.ipv6_prefix);
  if (network === undefined) return [];
  const { added, sizeBefore } = await ctx.sets.add(`sig:nets:${executor}`, [network], rule.remember_days * DAY_MS);
  if (added.length === 0 || sizeBefore === 0) return [];
  return [{ signal: 'new_network', subject: { kind: 'executor', id: executor }, ...context(event), facts: { network, known_networks: sizeBefore } }];
};
