/** Vault auth methods and the adapter's own token: AppRole, JWT, Kubernetes, renew-self, re-login. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AdapterError } from '../../../adapters/contract.ts';
import { vaultRig, type VaultTestRig } from './vault_fixture.ts';
import { signal } from '../../helpers/kit.ts';

const HOUR = 3600;

const logins = (rig: VaultTestRig, mount: string): number => rig.emulator.requests.filter((r) => r.path === `auth/${mount}/login`).length;
const renewals = (rig: VaultTestRig): number => rig.emulator.requests.filter((r) => r.path === 'auth/token/renew-self').length;

async function readsSeeded(rig: VaultTestRig): Promise<void> {
  rig.emulator.seedKv('secret', 'app/db', { value: 'v' });
  assert.equal((await rig.adapter.read({ path: 'app/db', signal: signal() })).value, 'v');
}

describe('vault adapter: auth methods', () => {
  let rig: VaultTestRig | undefined;
  afterEach(async () => {
    await rig?.fixture.close();
    rig = undefined;
  });

  it('logs in with AppRole (secret_id from a file) and uses the token it got', async () => {
    rig = await vaultRig({
      auth: async (emulator, dir) => {
        emulator.addAppRole('role-123', 'secret-id-abc', { ttl: HOUR, maxTtl: 24 * HOUR });
        await writeFile(join(dir, 'secret-id'), 'secret-id-abc\n');
        return { method: 'approle', role_id: 'role-123', secret_id_file: 'secret-id' };
      },
    });
    await readsSeeded(rig);
    const login = rig.emulator.requests.find((r) => r.path === 'auth/approle/login');
    assert.deepEqual(login?.body, { role_id: 'role-123', secret_id: 'secret-id-abc' });
    assert.equal(login?.token, undefined, 'no stale token is presented to a login endpoint');
    assert.notEqual(rig.emulator.requests.at(-1)?.token, rig.emulator.rootToken);
  });

  it('logs in with AppRole on a custom mount, secret_id from the environment', async () => {
    rig = await vaultRig({
      auth: async (emulator) => {
        emulator.addAppRole('role-123', 'from-env', { ttl: HOUR, maxTtl: 24 * HOUR }, { mount: 'approle-ci' });
        return { method: 'approle', role_id: 'role-123', secret_id_env: 'CI_SECRET_ID', mount: 'approle-ci' };
      },
      deps: () => ({ env: { CI_SECRET_ID: 'from-env' } }),
    });
    await readsSeeded(rig);
    assert.equal(logins(rig, 'approle-ci'), 1);
  });

  it('refuses a wrong AppRole secret_id as permission_denied', async () => {
    rig = await vaultRig({
      auth: async (emulator, dir) => {
        emulator.addAppRole('role-123', 'right', { ttl: HOUR, maxTtl: 24 * HOUR });
        await writeFile(join(dir, 'secret-id'), 'wrong');
        return { method: 'approle', role_id: 'role-123', secret_id_file: 'secret-id' };
      },
    });
    const err = await rig.adapter.read({ path: 'app/db', signal: signal() }).catch((e: unknown) => e);
    assert.ok(err instanceof AdapterError);
    assert.equal(err.kind, 'permission_denied');
  });

  for (const method of ['jwt', 'kubernetes'] as const) {
    it(`logs in with ${method}, re-reading the JWT file at each login`, async () => {
      let jwtFile = '';
      rig = await vaultRig({
        auth: async (emulator, dir) => {
          emulator.addJwtRole(method, 'ci', 'eyJ.first.jwt', { ttl: HOUR, maxTtl: HOUR + 60 });
          jwtFile = join(dir, 'token.jwt');
          await writeFile(jwtFile, 'eyJ.first.jwt');
          return { method, role: 'ci', jwt_file: 'token.jwt' };
        },
      });
      await readsSeeded(rig);
      assert.deepEqual(rig.emulator.requests.find((r) => r.path === `auth/${method}/login`)?.body, { role: 'ci', jwt: 'eyJ.first.jwt' });
      // The projected token rotates on disk; the renewal is capped by max TTL, so the adapter logs in again.
      rig.emulator.addJwtRole(method, 'ci', 'eyJ.rotated.jwt', { ttl: HOUR, maxTtl: 24 * HOUR });
      await writeFile(jwtFile, 'eyJ.rotated.jwt');
      rig.emulator.advance(2500);
      await rig.adapter.read({ path: 'app/db', signal: signal() });
      assert.equal(logins(rig, method), 2);
      assert.equal(rig.emulator.requests.filter((r) => r.path === `auth/${method}/login`).at(-1)?.body.jwt, 'eyJ.rotated.jwt');
    });
  }
});

describe('vault adapter: its own token', () => {
  let rig: VaultTestRig;
  afterEach(() => rig.fixture.close());

  it('renews a static token with renew-self once two thirds of its TTL have passed', async () => {
    rig = await vaultRig({ deps: (emulator) => ({ env: { TEST_VAULT_TOKEN: emulator.issueToken({ ttl: HOUR, maxTtl: 24 * HOUR }) } }) });
    await readsSeeded(rig);
    assert.equal(rig.emulator.requests[0]?.path, 'auth/token/lookup-self');
    rig.emulator.advance(2000); // 33 minutes in: not yet due
    await rig.adapter.read({ path: 'app/db', signal: signal() });
    assert.equal(renewals(rig), 0);
    rig.emulator.advance(500); // 41 minutes in: due
    await rig.adapter.read({ path: 'app/db', signal: signal() });
    assert.equal(renewals(rig), 1);
    assert.deepEqual(rig.emulator.requests.find((r) => r.path === 'auth/token/renew-self')?.body, { increment: HOUR });
    rig.emulator.advance(3000); // past the original expiry: still works because it was renewed
    await rig.adapter.read({ path: 'app/db', signal: signal() });
    assert.equal(renewals(rig), 2);
  });

  it('renews once for many concurrent requests', async () => {
    rig = await vaultRig({ deps: (emulator) => ({ env: { TEST_VAULT_TOKEN: emulator.issueToken({ ttl: HOUR, maxTtl: 24 * HOUR }) } }) });
    await readsSeeded(rig);
    rig.emulator.advance(2500);
    await Promise.all(Array.from({ length: 8 }, () => rig.adapter.read({ path: 'app/db', signal: signal() })));
    assert.equal(renewals(rig), 1);
  });

  it('logs in again with AppRole when renewal is capped by the max TTL', async () => {
    rig = await vaultRig({
      auth: async (emulator) => {
        emulator.addAppRole('r', 's', { ttl: HOUR, maxTtl: HOUR + 600 });
        return { method: 'approle', role_id: 'r', secret_id_env: 'SID' };
      },
      deps: () => ({ env: { SID: 's' } }),
    });
    await readsSeeded(rig);
    rig.emulator.advance(2500);
    await rig.adapter.read({ path: 'app/db', signal: signal() });
    assert.equal(renewals(rig), 1, 'tries to renew first');
    assert.equal(logins(rig, 'approle'), 2, 'renewal granted less than asked: log in again');
    rig.emulator.advance(3000); // past the first token's max TTL
    await rig.adapter.read({ path: 'app/db', signal: signal() });
  });

  it('keeps using a static token whose renewal fails until it expires, then reports permission_denied', async () => {
    rig = await vaultRig({ deps: (emulator) => ({ env: { TEST_VAULT_TOKEN: emulator.issueToken({ ttl: 100, maxTtl: 24 * HOUR }) } }) });
    await readsSeeded(rig);
    rig.emulator.setFault({ status: 500 });
    rig.emulator.advance(70);
    await rig.adapter.read({ path: 'app/db', signal: signal() }).catch(() => {}); // renewal fails; the read meets the fault too
    rig.emulator.setFault(null);
    assert.equal((await rig.adapter.read({ path: 'app/db', signal: signal() })).value, 'v', 'the old token still works');
    rig.emulator.advance(100);
    const err = await rig.adapter.read({ path: 'app/db', signal: signal() }).catch((e: unknown) => e);
    assert.ok(err instanceof AdapterError);
    assert.equal(err.kind, 'permission_denied');
  });

  it('never renews a token without expiry (root)', async () => {
    rig = await vaultRig();
    await readsSeeded(rig);
    rig.emulator.advance(365 * 24 * HOUR);
    await rig.adapter.read({ path: 'app/db', signal: signal() });
    assert.equal(renewals(rig), 0);
    const health = await rig.adapter.health(signal());
    assert.deepEqual(health, { ok: true, detail: 'token does not expire' });
  });
});
