/**
 * Config defaults have one source (issue 17.5): a field's `.default(...)`. A section's default is what its fields'
 * defaults make, never a second hand-written copy that could drift; the values code outside the schema needs
 * (CLI URL, embedded default, admin API grace window, revocation worker) are the schema's own.
 */
import assert from 'node:assert/strict';
import type { z } from 'zod';
import { DEFAULT_GATEWAY_PORT, DEFAULT_GATEWAY_URL, DEFAULT_GRACE_SECONDS, DEFAULT_REVOCATION_STALE_AFTER_MS, DEFAULT_TRUST_DOMAIN } from '../../src/config/defaults.ts';
import { configSchema } from '../../src/config/schema.ts';
import { devConfig } from '../../src/dev/dev_config.ts';
import { STALE_AFTER_MS } from '../../src/leases/revocation_worker.ts';
import { OPS_DEFAULTS } from '../../src/ops/config.ts';
import { PROXY_DEFAULTS } from '../../src/proxy/config.ts';

type Def = { type: string; innerType?: z.ZodType; defaultValue?: unknown; shape?: Record<string, z.ZodType>; valueType?: z.ZodType; element?: z.ZodType; options?: z.ZodType[]; in?: z.ZodType };
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Every `.default(...)` in the schema tree, with its path, its value and the schema it wraps. */
function defaults(schema: z.ZodType, at: string, found: Array<{ at: string; value: unknown; inner: z.ZodType }> = []) {
  const def = defOf(schema);
  if (def.type === 'default') found.push({ at, value: def.defaultValue, inner: def.innerType! });
  for (const inner of [def.innerType, def.valueType, def.element, def.in]) if (inner !== undefined) defaults(inner, at, found);
  for (const [key, child] of Object.entries(def.shape ?? {})) defaults(child, at === '' ? key : `${at}.${key}`, found);
  for (const option of def.options ?? []) defaults(option, at, found);
  return found;
}

describe('config defaults', () => {
  const all = defaults(configSchema, '');

  it('finds the section defaults it checks (the walk is not empty)', () => {
    const paths = all.map((d) => d.at);
    for (const p of ['gateway.port', 'mounts.retry', 'mounts.breaker', 'leases', 'ops', 'proxy', 'oidc']) assert.ok(paths.includes(p), `${p} has a default`);
  });

  it('a section default is exactly what its fields\' own defaults make', () => {
    const sections = all.filter((d) => defOf(d.inner).type === 'object' && defOf(d.inner).shape !== undefined);
    assert.ok(sections.length >= 6);
    for (const { at, value, inner } of sections) {
      const parsed = inner.safeParse({});
      if (parsed.success) assert.deepEqual(value, parsed.data, `${at}: the default differs from the fields' defaults`);
      else assert.deepEqual(inner.parse(value), value, `${at}: the default is not complete`);
    }
  });

  it('the values used outside the schema are the schema\'s defaults', () => {
    const minimal = configSchema.parse({
      gateway: { tls: { cert_file: 'c', key_file: 'k', client_ca_file: 'a' } },
      tokens: { keys: [{ file: 'k.pem' }] },
      audit: { hmac_key_file: 'h', signing_key_file: 's', sinks: [{ type: 'file', path: 'audit.log' }] },
      mounts: {},
      executors: [{ id: 'e1', tenant: 't1', identities: ['sha256:' + '0'.repeat(64)], hmac_secret_file: 'x' }],
    });
    assert.equal(minimal.gateway.port, DEFAULT_GATEWAY_PORT);
    assert.equal(DEFAULT_GATEWAY_URL, `https://${minimal.gateway.host}:${minimal.gateway.port}`);
    assert.equal(minimal.gateway.trust_domain, DEFAULT_TRUST_DOMAIN);
    assert.equal(minimal.executors[0]!.grace_seconds, DEFAULT_GRACE_SECONDS);
    assert.equal(minimal.leases.revocation_stale_after_ms, DEFAULT_REVOCATION_STALE_AFTER_MS);
    assert.equal(STALE_AFTER_MS, minimal.leases.revocation_stale_after_ms);
    assert.deepEqual(minimal.ops, OPS_DEFAULTS);
    assert.deepEqual(minimal.proxy, PROXY_DEFAULTS);
  });

  it('the embedded default spells out the schema defaults it shows', () => {
    const dev = devConfig(DEFAULT_GATEWAY_PORT);
    assert.equal(dev.gateway.trust_domain, DEFAULT_TRUST_DOMAIN);
    assert.equal(dev.ops.port, OPS_DEFAULTS.port);
    assert.equal(dev.executors[0]!.grace_seconds, DEFAULT_GRACE_SECONDS);
  });
});
