/**
 * Health for backends without a health endpoint of their own (AWS Secrets Manager, GCP, Azure): read a secret
 * nobody creates. "Not found" and "access denied" both come after the backend authenticated the gateway, so
 * they prove what health needs to know (reachable, identity accepted) without the gateway holding a list
 * permission or any real secret being read.
 */
import type { HealthReport } from '../contract.ts';

/** The secret id the probes read; nobody is expected to create it. */
export const HEALTH_PROBE_SECRET = 'crefgate-health-probe';

export interface ProbeRule {
  /** The detail when the probe secret was read (someone created it). */
  okDetail: string;
  /** The detail when `err` still proves the backend answered an authenticated call; undefined when it does not. */
  answered(err: unknown): string | undefined;
  /** Operator-facing detail of a failed probe, safe to log (a mapped AdapterError's reason). */
  failure(err: unknown): string;
}

/** Runs `probe` and judges its outcome by `rule`. */
export async function probeHealth(probe: () => Promise<unknown>, rule: ProbeRule): Promise<HealthReport> {
  try {
    await probe();
    return { ok: true, detail: rule.okDetail };
  } catch (err) {
    const answered = rule.answered(err);
    if (answered !== undefined) return { ok: true, detail: answered };
    return { ok: false, detail: rule.failure(err) };
  }
}
