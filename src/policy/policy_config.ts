/**
 * The policy section of the config: per tenant, the longest job, which coordinators may issue for it, and
 * grants saying which executors (by id and/or by OIDC claims) may be issued and read which cref patterns.
 * Validated twice at start-up: shape here (zod), meaning in `policyFromConfig` (patterns inside their tenant,
 * unique grant ids, coordinators that exist), so a typo stops the gateway instead of silently denying.
 */
import { z } from 'zod';
import { ID_PATTERN, ID_SOURCE } from '../envelope/id.ts';
import { isCrefPattern } from '../envelope/cref.ts';
import type { Grant, TenantPolicy } from './policy.ts';

const ruleId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'rule id: [A-Za-z0-9._-]{1,64}');
const executorRef = z.string().regex(ID_PATTERN, `executor id: ${ID_SOURCE}`);
const claimName = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/);
const claimValue = z.string().min(1).max(512);

const grant = z.strictObject({
  id: ruleId.describe('named in every audit line this grant decides'),
  effect: z.enum(['allow', 'deny']).default('allow').describe('a matching deny wins over every allow'),
  executors: z.array(executorRef).min(1).optional().describe('executor ids it applies to (default: every executor of the tenant)'),
  claims: z
    .record(claimName, z.union([claimValue, z.array(claimValue).min(1)]))
    .optional()
    .describe('OIDC claims that must all match exactly (a list: any of); only OIDC-authenticated resolves can satisfy them'),
  crefs: z.array(z.string().refine(isCrefPattern, 'a cref pattern')).min(1),
});

export const tenantPolicySchema = z.strictObject({
  max_ttl_seconds: z.number().int().min(1).max(7 * 24 * 3600).default(3600),
  coordinators: z.array(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/)).optional()
    .describe('if set, only these coordinator identities may issue for the tenant (they must also list it in their tenants)'),
  grants: z.array(grant).default([]),
});

export type TenantPolicyConfig = z.infer<typeof tenantPolicySchema>;

/** Turns validated config into the engine's tables; throws (refusing start-up) on a meaningless policy. */
export function policyFromConfig(tenants: Record<string, TenantPolicyConfig>, coordinatorIds: string[]): Map<string, TenantPolicy> {
  const out = new Map<string, TenantPolicy>();
  for (const [tenant, config] of Object.entries(tenants)) {
    const seen = new Set<string>();
    const grants: Grant[] = config.grants.map((g) => {
      if (seen.has(g.id)) throw new Error(`tenants.${tenant}.grants: duplicate grant id ${g.id}`);
      seen.add(g.id);
      for (const pattern of g.crefs) {
        if (!pattern.startsWith(`cref://${tenant}/`)) throw new Error(`tenants.${tenant}.grants.${g.id}: ${pattern} is outside tenant ${tenant}`);
      }
      const claims = g.claims === undefined
        ? undefined
        : Object.fromEntries(Object.entries(g.claims).map(([k, v]) => [k, typeof v === 'string' ? [v] : v]));
      return { id: g.id, effect: g.effect, executors: g.executors, claims, crefs: g.crefs };
    });
    for (const id of config.coordinators ?? []) {
      if (!coordinatorIds.includes(id)) throw new Error(`tenants.${tenant}.coordinators: ${id} is not a configured coordinator identity`);
    }
    out.set(tenant, { maxTtlSeconds: config.max_ttl_seconds, coordinators: config.coordinators, grants });
  }
  return out;
}
