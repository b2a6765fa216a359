/**
 * Derived OCSF copy of audit events for SIEM ingestion (OCSF 1.1). Authentication failures of the resolve chain
 * (tls, executor, hmac, token, binding) map to Authentication (3002); everything else to API Activity (6003).
 * The canonical lines stay the evidence; this copy is a convenience and is not signed.
 */

const AUTH_STEPS = new Set(['tls', 'executor', 'hmac', 'token', 'binding', 'auth']);
const API_ACTIVITY: Record<string, number> = {
  'job.issue': 1,
  'executor.register': 1,
  resolve: 2,
  'executor.list': 2,
  'executor.read': 2,
  'audit.stream.open': 2,
  'lease.renew': 3,
  'executor.rotate': 3,
  'executor.disable': 3,
  'executor.enable': 3,
  'job.complete': 3,
  'lease.revoke': 4,
  'lease.expire': 4,
  revocation: 4,
};

type Event = Record<string, unknown> & {
  actor?: { type?: string; id?: string; auth?: string; fingerprint?: string };
};

/** One OCSF object for one canonical audit line. */
export function toOcsf(line: string): Record<string, unknown> {
  const e = JSON.parse(line) as Event;
  const failed = e.outcome === 'denied' || e.outcome === 'error';
  const isAuth = failed && typeof e.step === 'string' && AUTH_STEPS.has(e.step);
  const classUid = isAuth ? 3002 : 6003;
  const activityId = isAuth ? 1 : (API_ACTIVITY[String(e.action)] ?? 99);
  const time = Date.parse(String(e.time));
  return {
    class_uid: classUid,
    category_uid: isAuth ? 3 : 6,
    activity_id: activityId,
    type_uid: classUid * 100 + activityId,
    time,
    severity_id: failed ? 3 : 1,
    status_id: failed ? 2 : 1,
    status: failed ? 'Failure' : 'Success',
    status_code: e.code,
    status_detail: failed ? [e.step, e.reason].filter((x) => x !== undefined).join(': ') : undefined,
    message: `${String(e.action)} ${String(e.outcome)}`,
    metadata: {
      version: '1.1.0',
      product: { name: 'crefgate', vendor_name: 'crefgate' },
      uid: e.event_id,
      log_name: e.origin,
      sequence: e.seq,
      correlation_uid: e.request_id,
    },
    actor: { user: { uid: e.actor?.id, type: e.actor?.type }, authorizations: undefined },
    ...(isAuth
      ? { user: { uid: e.actor?.id, type: e.actor?.type }, auth_protocol: e.actor?.auth, logon_type: 'Network' }
      : { api: { operation: e.action, request: { uid: e.request_id } } }),
    src_endpoint: e.source === undefined ? undefined : { ip: e.source },
    resources: Array.isArray(e.crefs) ? (e.crefs as string[]).map((uid) => ({ uid, type: 'cref' })) : undefined,
    unmapped: {
      tenant: e.tenant,
      job_id: e.job_id,
      executor: e.executor,
      lease_ids: e.lease_ids,
      certificate_fingerprint: e.actor?.fingerprint,
      sensitive: e.sensitive,
    },
  };
}
