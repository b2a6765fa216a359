/** Vault KV specifics: version pins, deleted and destroyed versions, path checks, error mapping, env pinning. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AdapterError } from '../../../adapters/contract.ts';
import { create } from '../../../adapters/vault/adapter.ts';
import { manifest } from '../../../adapters/vault/index.ts';
import { createThrowawayPki } from '../../helpers/throwaway_ca.ts';
import { vaultRig, type VaultTestRig } from './vault_fixture.ts';
import { rejectsKind } from '../../helpers/adapter_errors.ts';
import { signal } from '../../helpers/kit.ts';

describe('vault adapter: KV v2 versions', () => {
  let rig: VaultTestRig;
  beforeEach(async () => {
    rig = await vaultRig({ kvVersion: 2 });
    for (const n of [1, 2, 3]) rig.emulator.seedKv('secret', 'app/db', { password: `pw-${n}` });
  });
  afterEach(() => rig.fixture.close());

  it('reads the latest version and reports its number', async () => {
    const secret = await rig.adapter.read({ path: 'app/db', field: 'password', signal: signal() });
    assert.deepEqual([secret.value, secret.version], ['pw-3', '3']);
    assert.equal(rig.emulator.requests.at(-1)?.path, 'secret/data/app/db');
  });

  it('pins a version with ?version=N', async () => {
    const secret = await rig.adapter.read({ path: 'app/db', field: 'password', version: '2', signal: signal() });
    assert.deepEqual([secret.value, secret.version], ['pw-2', '2']);
    assert.equal(rig.emulator.requests.at(-1)?.query, '?version=2');
  });

  it('returns the whole map when no field is named', async () => {
    rig.emulator.seedKv('secret', 'app/pair', { username: 'u', port: 5432 });
    assert.deepEqual((await rig.adapter.read({ path: 'app/pair', signal: signal() })).value, { username: 'u', port: '5432' });
  });

  it('selects a field by the rule all adapters share: numbers and booleans as text, objects and null not_found', async () => {
    rig.emulator.seedKv('secret', 'app/mixed', { port: 5432, tls: true, nested: { a: 'b' }, list: ['x'], none: null });
    assert.equal((await rig.adapter.read({ path: 'app/mixed', field: 'port', signal: signal() })).value, '5432');
    assert.equal((await rig.adapter.read({ path: 'app/mixed', field: 'tls', signal: signal() })).value, 'true');
    for (const field of ['nested', 'list', 'none', 'absent']) {
      await rejectsKind(rig.adapter.read({ path: 'app/mixed', field, signal: signal() }), 'not_found');
    }
  });

  it('reports a soft-deleted version as not_found, and the others still read', async () => {
    rig.emulator.deleteKvVersions('secret', 'app/db', [2]);
    await rejectsKind(rig.adapter.read({ path: 'app/db', version: '2', signal: signal() }), 'not_found');
    assert.equal((await rig.adapter.read({ path: 'app/db', field: 'password', version: '1', signal: signal() })).value, 'pw-1');
  });

  it('reports a deleted latest version as not_found', async () => {
    rig.emulator.deleteKvVersions('secret', 'app/db', [3]);
    await rejectsKind(rig.adapter.read({ path: 'app/db', signal: signal() }), 'not_found');
  });

  it('reports a destroyed version as not_found', async () => {
    rig.emulator.deleteKvVersions('secret', 'app/db', [1], true);
    await rejectsKind(rig.adapter.read({ path: 'app/db', version: '1', signal: signal() }), 'not_found');
  });

  it('reports a version that never existed as not_found', async () => {
    await rejectsKind(rig.adapter.read({ path: 'app/db', version: '9', signal: signal() }), 'not_found');
  });

  for (const version of ['0', '-1', '2a', '1.0', ' 2']) {
    it(`refuses version ${JSON.stringify(version)} as invalid_reference without calling Vault`, async () => {
      const before = rig.emulator.requests.length;
      await rejectsKind(rig.adapter.read({ path: 'app/db', version, signal: signal() }), 'invalid_reference');
      assert.equal(rig.emulator.requests.length, before);
    });
  }

  for (const path of ['../sys/raw/core', 'app/../db', 'app//db', '/app/db', 'app/db?version=1', 'app/db#x', 'app/%2e%2e', '']) {
    it(`refuses the ambiguous path ${JSON.stringify(path)} without calling Vault`, async () => {
      const before = rig.emulator.requests.length;
      await rejectsKind(rig.adapter.read({ path, signal: signal() }), 'invalid_reference');
      assert.equal(rig.emulator.requests.length, before);
    });
  }
});

describe('vault adapter: KV v1', () => {
  it('has no versions: a pin is invalid_reference', async () => {
    const rig = await vaultRig({ kvVersion: 1 });
    try {
      rig.emulator.seedKv('kv1', 'app/db', { password: 'pw' });
      assert.equal((await rig.adapter.read({ path: 'app/db', field: 'password', signal: signal() })).value, 'pw');
      assert.equal(rig.emulator.requests.at(-1)?.path, 'kv1/app/db');
      await rejectsKind(rig.adapter.read({ path: 'app/db', version: '1', signal: signal() }), 'invalid_reference');
    } finally {
      await rig.fixture.close();
    }
  });
});

describe('vault adapter: error mapping', () => {
  let rig: VaultTestRig;
  beforeEach(async () => {
    rig = await vaultRig({ kvVersion: 2 });
    rig.emulator.seedKv('secret', 'app/db', { value: 'secret-value' });
    await rig.adapter.read({ path: 'app/db', signal: signal() }); // token looked up before faults start
  });
  afterEach(() => rig.fixture.close());

  const cases: Array<[number, AdapterError['kind']]> = [
    [403, 'permission_denied'],
    [404, 'not_found'],
    [429, 'throttled'],
    [500, 'unavailable'],
    [502, 'unavailable'],
    [503, 'unavailable'],
    [400, 'invalid_reference'],
  ];
  for (const [status, kind] of cases) {
    it(`maps HTTP ${status} to ${kind}, keeping Vault's text out of the reason`, async () => {
      rig.emulator.setFault({ status, message: 'backend-said-something-private' });
      const err = await rejectsKind(rig.adapter.read({ path: 'app/db', signal: signal() }), kind);
      assert.equal(err.step, 'backend');
      assert.ok(!err.reason.includes('backend-said-something-private'), err.reason);
      assert.ok(!err.message.includes('backend-said-something-private'));
      assert.match(String((err.cause as Error).message), /backend-said-something-private/, 'the detail stays in cause');
    });
  }

  it('maps a bad token (403 permission denied) to permission_denied', async () => {
    const bad = await vaultRig({ kvVersion: 2, deps: () => ({ env: { TEST_VAULT_TOKEN: 'hvs.not-a-real-token' } }) });
    try {
      await rejectsKind(bad.adapter.read({ path: 'app/db', signal: signal() }), 'permission_denied');
      assert.deepEqual(bad.emulator.requests.at(-1)?.token, 'hvs.not-a-real-token');
    } finally {
      await bad.fixture.close();
    }
  });

  it('maps a reset connection and a refused connection to unavailable', async () => {
    rig.emulator.setFault('reset');
    await rejectsKind(rig.adapter.read({ path: 'app/db', signal: signal() }), 'unavailable');
    rig.emulator.setFault(null);
    await rig.emulator.stop();
    const err = await rejectsKind(rig.adapter.read({ path: 'app/db', signal: signal() }), 'unavailable');
    assert.match(err.reason, /ECONNREFUSED/);
  });

  it('gives up on a hanging Vault when the signal fires', async () => {
    rig.emulator.setFault('hang');
    const started = Date.now();
    await rejectsKind(rig.adapter.read({ path: 'app/db', signal: AbortSignal.timeout(100) }), 'timeout');
    assert.ok(Date.now() - started < 1500);
  });
});

describe('vault adapter: pinned client options', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of ['VAULT_ADDR', 'VAULT_TOKEN', 'VAULT_NAMESPACE', 'VAULT_PREFIX', 'VAULT_SKIP_VERIFY']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it('ignores VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE and VAULT_PREFIX from the environment', async () => {
    Object.assign(process.env, { VAULT_ADDR: 'http://127.0.0.2:1', VAULT_TOKEN: 'hvs.from-env', VAULT_NAMESPACE: 'evil', VAULT_PREFIX: '/evil' });
    const rig = await vaultRig({ kvVersion: 2 });
    try {
      rig.emulator.seedKv('secret', 'app/db', { value: 'v' });
      assert.equal((await rig.adapter.read({ path: 'app/db', signal: signal() })).value, 'v');
      for (const request of rig.emulator.requests) {
        assert.equal(request.namespace, '');
        assert.notEqual(request.token, 'hvs.from-env');
      }
    } finally {
      await rig.fixture.close();
    }
  });

  it('still verifies TLS when VAULT_SKIP_VERIFY is set, and refuses a Vault signed by another CA', async () => {
    process.env.VAULT_SKIP_VERIFY = '1';
    const rig = await vaultRig({ kvVersion: 2, tls: true });
    try {
      // Replace the configured CA with an unrelated one: the handshake must fail.
      await writeFile(join(rig.dir, 'other-ca.pem'), (await createThrowawayPki('other-ca')).caCert);
      const options = manifest.optionsSchema.parse({
        address: rig.emulator.url,
        ca_file: 'other-ca.pem',
        kv: { mount: 'secret', version: 2 },
        auth: { method: 'token', token_env: 'T' },
      });
      const adapter = create(options, { mount: 'm', stateDir: rig.dir, configDir: rig.dir }, { env: { T: rig.emulator.rootToken } });
      const err = await rejectsKind(adapter.read({ path: 'app/db', signal: signal() }), 'unavailable');
      assert.match(err.reason, /TLS|CERT|UNABLE/);
      await adapter.close();
    } finally {
      await rig.fixture.close();
    }
  });
});
