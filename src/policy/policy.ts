/**
 * Policy, deny by default. Declarative data from config: which tenants a coordinator may issue for, each
 * tenant's maximum job TTL, and the cref patterns each executor may be issued and read. Every decision names
 * the rule that made it, for the audit line.
 */
import { matchesPattern, type Cref } from '../envelope/cref.ts';
import type { Identity } from '../identity/identity.ts';
import type { ExecutorRecord } from '../state/contract.ts';

export interface PolicyDecision {
  allowed: boolean;
  /** The rule that allowed, or why nothing did. */
  rule: string;
}

export interface TenantPolicy {
  maxTtlSeconds: number;
}

export class Policy {
  private readonly tenants: Map<string, TenantPolicy>;

  constructor(tenants: Map<string, TenantPolicy>) {
    this.tenants = tenants;
  }

  /** May this executor read this cref? Its tenant and one of its allowed patterns must match. */
  mayRead(executor: ExecutorRecord, cref: Cref): PolicyDecision {
    if (cref.tenant !== executor.tenant) return { allowed: false, rule: 'cross-tenant' };
    const pattern = executor.allowedCrefs.find((p) => matchesPattern(p, cref));
    return pattern === undefined
      ? { allowed: false, rule: `no allowed_crefs pattern of ${executor.id} matches` }
      : { allowed: true, rule: `executor ${executor.id} allowed_crefs ${pattern}` };
  }

  /** May this coordinator issue jobs for this tenant? */
  mayIssue(coordinator: Identity, tenant: string): PolicyDecision {
    if (!this.tenants.has(tenant)) return { allowed: false, rule: `tenant ${tenant} is not configured` };
    return coordinator.tenants.includes(tenant)
      ? { allowed: true, rule: `coordinator ${coordinator.id} tenants includes ${tenant}` }
      : { allowed: false, rule: `coordinator ${coordinator.id} may not issue for ${tenant}` };
  }

  /** Longest job a tenant may be issued, seconds; undefined for an unknown tenant. */
  maxTtlSeconds(tenant: string): number | undefined {
    return this.tenants.get(tenant)?.maxTtlSeconds;
  }
}
