/**
 * Claims of a workload token as policy sees them: string leaves only, nested objects flattened by dotted path
 * (Kubernetes puts namespace and service account under `kubernetes.io`). Numbers, booleans and arrays are left
 * out rather than stringified, so that `"1"` and `1` can never be confused by a rule.
 */

const MAX_DEPTH = 3;

/** Flattens the string-valued claims of a verified payload. */
export function flattenClaims(payload: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (value: unknown, prefix: string, depth: number) => {
    if (typeof value === 'string') {
      out[prefix] = value;
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value) && depth < MAX_DEPTH) {
      for (const [key, inner] of Object.entries(value)) walk(inner, prefix === '' ? key : `${prefix}.${key}`, depth + 1);
    }
  };
  walk(payload, '', 0);
  return out;
}

/** True when every named claim is present with one of its accepted values. */
export function claimsSatisfy(claims: Record<string, string>, wanted: Record<string, string | string[]>): boolean {
  return Object.entries(wanted).every(([name, accepted]) => {
    const value = claims[name];
    return value !== undefined && (typeof accepted === 'string' ? accepted === value : accepted.includes(value));
  });
}
