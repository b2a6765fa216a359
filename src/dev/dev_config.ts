/**
 * The config the embedded default writes on first run: one tenant, one executor, the local store. It spells out
 * some defaults so the file teaches them; those values come from the schema's defaults, not from copies.
 */
import { DEFAULT_GATEWAY_HOST, DEFAULT_GRACE_SECONDS, DEFAULT_TRUST_DOMAIN } from '../config/defaults.ts';
import { OPS_DEFAULTS } from '../ops/config.ts';

/** The embedded default uses the schema's default trust domain. */
export const DEV_TRUST_DOMAIN = DEFAULT_TRUST_DOMAIN;

export const DEV_CLIENTS = [
  { name: 'coordinator', uri: `spiffe://${DEV_TRUST_DOMAIN}/coordinator/ci` },
  { name: 'executor', uri: `spiffe://${DEV_TRUST_DOMAIN}/tenant/tenant_abc/executor/exec-01` },
  { name: 'admin', uri: `spiffe://${DEV_TRUST_DOMAIN}/admin/ops` },
  { name: 'auditor', uri: `spiffe://${DEV_TRUST_DOMAIN}/auditor/compliance` },
] as const;

/** The generated config document (paths relative to the state folder). */
export function devConfig(port: number) {
  return {
    gateway: {
      host: DEFAULT_GATEWAY_HOST,
      port,
      trust_domain: DEV_TRUST_DOMAIN,
      tls: { cert_file: 'pki/server.crt', key_file: 'pki/server.key', client_ca_file: 'pki/ca.crt', min_version: 'TLSv1.2' },
    },
    tokens: { algorithm: 'RS256', keys: [{ file: 'keys/token-signing.pem', status: 'current' }] },
    state: { kind: 'memory' },
    audit: {
      hmac_key_file: 'keys/audit-hmac.key',
      signing_key_file: 'keys/audit-signing.pem',
      sinks: [{ type: 'file', name: 'file', required: true, path: 'audit/crefgate.log' }],
    },
    identities: [
      { id: 'ci', role: 'coordinator', uri: DEV_CLIENTS[0].uri, tenants: ['tenant_abc', 'tenant_xyz'] },
      { id: 'ops', role: 'admin', uri: DEV_CLIENTS[2].uri },
      { id: 'compliance', role: 'auditor', uri: DEV_CLIENTS[3].uri },
    ],
    tenants: { tenant_abc: { max_ttl_seconds: 3600 }, tenant_xyz: { max_ttl_seconds: 3600 } },
    executors: [
      {
        id: 'exec-01',
        tenant: 'tenant_abc',
        identities: [DEV_CLIENTS[1].uri],
        allowed_crefs: ['cref://tenant_abc/**'],
        hmac_secret_file: 'executors/exec-01.hmac',
        grace_seconds: DEFAULT_GRACE_SECONDS,
      },
    ],
    // Port 0 (tests, several gateways at once) asks for any free port for both listeners.
    ops: { enabled: true, host: OPS_DEFAULTS.host, port: port === 0 ? 0 : OPS_DEFAULTS.port },
    mounts: { local: { adapter: 'local', options: { file: 'local-secrets.json', key_file: 'keys/local-store.key' } } },
    routes: [{ cref: 'cref://{tenant}/{name*}', mount: 'local', path: 'tenants/{tenant}/{name}' }],
    // Shorter than a typical job, so the walkthrough can show a renewal that stops at the job end.
    leases: { static_lease_seconds: 300 },
  };
}
