/**
 * Job bindings: what a coordinator may bind a job to (the repository, ref, commit, run and workflow of a CI
 * job). They travel in the signed payload, so the HMAC covers them and the request token's `pld` binds them.
 * At resolve, a workload OIDC identity must carry each one as a claim of the same name with exactly the same
 * value (GitHub Actions names its claims so). Values are strict: nothing is normalised, so the issued and the
 * presented text are compared byte for byte.
 */
import { z } from 'zod';

export const BINDING_NAMES = ['repository', 'ref', 'sha', 'run_id', 'workflow'] as const;
export type BindingName = (typeof BINDING_NAMES)[number];

// git check-ref-format, simplified to what CI refs look like: refs/<kind>/<name>, no `..`, no `//`, no `@{`,
// no trailing `/`, `.` or `.lock`, no control characters, spaces or ~^:?*[\.
const REF = /^refs\/(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!.*\.lock$)[A-Za-z0-9._/+#=,@-]*[A-Za-z0-9_+#=,@-]$/;

export const bindingValueSchemas = {
  repository: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/, 'owner/name'),
  ref: z.string().max(255).regex(REF, 'a full git ref such as refs/heads/main'),
  sha: z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, '40 or 64 lowercase hex digits'),
  // A string, as GitHub's OIDC claim is: a JSON number would lose precision and compare differently.
  run_id: z.string().regex(/^[1-9][0-9]{0,19}$/, 'decimal digits, as a string'),
  // biome-ignore lint/suspicious/noControlCharactersInRegex: excluding the control range is the point
  workflow: z.string().min(1).max(200).regex(/^[^\u0000-\u001f\u007f]+$/u, 'no control characters'),
} satisfies Record<BindingName, z.ZodType<string>>;

/** The `bindings` member of a payload and of an issuance request: at least one, only known names. */
export const bindingsSchema = z
  .strictObject({
    repository: bindingValueSchemas.repository.optional(),
    ref: bindingValueSchemas.ref.optional(),
    sha: bindingValueSchemas.sha.optional(),
    run_id: bindingValueSchemas.run_id.optional(),
    workflow: bindingValueSchemas.workflow.optional(),
  })
  .refine((b) => Object.keys(b).length >= 1, 'at least one binding');

export type JobBindings = z.infer<typeof bindingsSchema>;

const bindingName = z.enum(BINDING_NAMES);
/** An exact value, or a prefix ending in `*` (`refs/tags/v*`). */
const bindingPattern = z.string().min(1).max(255).regex(/^[^*]*\*?$/, 'an exact value, or a prefix followed by one trailing *');

/** Route-level requirements (config): which bindings a job must carry for this route, and what values they may have. */
export const routeBindingShape = {
  require_bindings: z.array(bindingName).min(1).optional().describe('bindings a job must carry to use this route (e.g. [sha, ref])'),
  binding_patterns: z
    .partialRecord(bindingName, z.array(bindingPattern).min(1))
    .optional()
    .describe('accepted values per binding (exact, or prefix*), e.g. {ref: [refs/heads/main, "refs/tags/v*"]}; a binding named here is required'),
};

export interface RouteBindingRule {
  require_bindings?: BindingName[] | undefined;
  binding_patterns?: Partial<Record<BindingName, string[]>> | undefined;
}

/** Whether `value` is accepted by one of `patterns`. */
function matches(value: string, patterns: string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? value.startsWith(p.slice(0, -1)) : value === p));
}

/** The first binding a route requires that `bindings` lacks or carries with a value it does not accept. */
export function unmetBinding(rule: RouteBindingRule, bindings: Partial<Record<string, string>> | undefined): { name: string; problem: 'missing' | 'not_allowed' } | undefined {
  const patterns = rule.binding_patterns ?? {};
  const required = new Set<string>([...(rule.require_bindings ?? []), ...Object.keys(patterns)]);
  for (const name of [...required].sort()) {
    const value = bindings?.[name];
    if (value === undefined) return { name, problem: 'missing' };
    const accepted = patterns[name as BindingName];
    if (accepted !== undefined && !matches(value, accepted)) return { name, problem: 'not_allowed' };
  }
  return undefined;
}

/** What a caller proved about itself, as far as bindings go (src/identity/identity.ts Identity has this shape). */
export interface BindingProof {
  auth: string;
  claims?: Readonly<Record<string, string>> | undefined;
}

/**
 * The first of a job's bindings that the caller's identity does not carry as a claim of exactly that value
 * (undefined: the job is unbound, or every binding matches). Only a workload OIDC identity has claims: any other
 * authentication satisfies no binding. The one rule for resolve (step 6) and for lease renewal and revocation.
 */
export function unmatchedBinding(bindings: Partial<Record<string, string>> | undefined, proof: BindingProof): { name: string; bound: string[]; reason: string } | undefined {
  if (bindings === undefined) return undefined;
  const bound = Object.keys(bindings).sort();
  if (bound.length === 0) return undefined;
  if (proof.auth !== 'oidc') {
    return { name: bound[0]!, bound, reason: `job is bound (${bound.join(', ')}) but the executor authenticated with ${proof.auth}, which proves no such claims` };
  }
  const claims = proof.claims ?? {};
  for (const name of bound) {
    if (claims[name] === bindings[name]) continue;
    return { name, bound, reason: `binding ${name} ${claims[name] === undefined ? 'has no claim in' : 'differs from the claim of'} the identity token` };
  }
  return undefined;
}
