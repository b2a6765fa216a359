/**
 * Policy, deny by default. Declarative data from config (see policy_config.ts), evaluated in a fixed order:
 * a cref outside the executor's tenant is refused; then a matching `deny` grant wins; then the executor's own
 * registered `allowed_crefs`, then the tenant's `allow` grants may allow; anything else is denied. Every
 * decision names the rule that made it, and that name goes into the audit line.
 *
 * Grants conditioned on OIDC claims are decided with the claims of the resolving workload. At issuance the
 * claims are not known yet (the coordinator asks, the workload comes later), so such a grant lets the job be
 * issued and the claims are enforced when the workload resolves: that is what ties a credential to an exact
 * repository, ref, commit or job.
 */
import { matchesPattern, type Cref } from '../envelope/cref.ts';
import type { Identity } from '../identity/identity.ts';
import type { ExecutorRecord } from '../state/contract.ts';

export interface PolicyDecision {
  allowed: boolean;
  /** The rule that allowed, or why nothing did. */
  rule: string;
}

export interface Grant {
  id: string;
  effect: 'allow' | 'deny';
  /** Executor ids it applies to; undefined: every executor of the tenant. */
  executors?: string[] | undefined;
  /** Claim name → accepted values; every named claim must match. */
  claims?: Record<string, string[]> | undefined;
  crefs: string[];
}

export interface TenantPolicy {
  maxTtlSeconds: number;
  /** If set, the only coordinators that may issue for the tenant. */
  coordinators?: string[] | undefined;
  grants?: Grant[] | undefined;
}

/** Whether a grant's claim condition holds: 'yes', 'no', or 'later' when the claims are not known yet. */
type ClaimMatch = 'yes' | 'no' | 'later';

function claimsMatch(grant: Grant, identity: Identity | undefined): ClaimMatch {
  if (grant.claims === undefined) return 'yes';
  if (identity === undefined) return 'later';
  const presented = identity.claims;
  if (presented === undefined) return 'no';
  for (const [name, accepted] of Object.entries(grant.claims)) {
    const value = presented[name];
    if (value === undefined || !accepted.includes(value)) return 'no';
  }
  return 'yes';
}

export class Policy {
  private readonly tenants: Map<string, TenantPolicy>;

  constructor(tenants: Map<string, TenantPolicy>) {
    this.tenants = tenants;
  }

  /**
   * May this executor read this cref? `workload` is the identity presenting the envelope at resolve time;
   * omitted at issuance, where claim-bound grants are deferred to the resolve.
   */
  mayRead(executor: ExecutorRecord, cref: Cref, workload?: Identity): PolicyDecision {
    if (cref.tenant !== executor.tenant) return { allowed: false, rule: 'cross-tenant' };
    const grants = (this.tenants.get(executor.tenant)?.grants ?? []).filter(
      (g) => (g.executors === undefined || g.executors.includes(executor.id)) && g.crefs.some((p) => matchesPattern(p, cref)),
    );
    // A deny conditioned on claims applies once the claims are known; at issuance it cannot be decided yet.
    const denied = grants.find((g) => g.effect === 'deny' && claimsMatch(g, workload) === 'yes');
    if (denied !== undefined) return { allowed: false, rule: `tenant ${executor.tenant} deny grant ${denied.id}` };
    const pattern = executor.allowedCrefs.find((p) => matchesPattern(p, cref));
    if (pattern !== undefined) return { allowed: true, rule: `executor ${executor.id} allowed_crefs ${pattern}` };
    let deferred: Grant | undefined;
    for (const grant of grants) {
      if (grant.effect !== 'allow') continue;
      const match = claimsMatch(grant, workload);
      if (match === 'yes') return { allowed: true, rule: `tenant ${executor.tenant} grant ${grant.id}` };
      if (match === 'later') deferred ??= grant;
    }
    if (deferred !== undefined) return { allowed: true, rule: `tenant ${executor.tenant} grant ${deferred.id} (claims checked at resolve)` };
    const claimBound = grants.some((g) => g.effect === 'allow' && g.claims !== undefined);
    return {
      allowed: false,
      rule: claimBound ? `claims of ${executor.id} match no grant of tenant ${executor.tenant}` : `no rule of tenant ${executor.tenant} allows ${executor.id}`,
    };
  }

  /** May this coordinator issue jobs for this tenant? */
  mayIssue(coordinator: Identity, tenant: string): PolicyDecision {
    const policy = this.tenants.get(tenant);
    if (policy === undefined) return { allowed: false, rule: `tenant ${tenant} is not configured` };
    if (!coordinator.tenants.includes(tenant)) return { allowed: false, rule: `coordinator ${coordinator.id} may not issue for ${tenant}` };
    if (policy.coordinators !== undefined && !policy.coordinators.includes(coordinator.id)) {
      return { allowed: false, rule: `tenant ${tenant} coordinators excludes ${coordinator.id}` };
    }
    return { allowed: true, rule: `coordinator ${coordinator.id} tenants includes ${tenant}` };
  }

  /** Longest job a tenant may be issued, seconds; undefined for an unknown tenant. */
  maxTtlSeconds(tenant: string): number | undefined {
    return this.tenants.get(tenant)?.maxTtlSeconds;
  }
}
