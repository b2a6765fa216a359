/**
 * Every backend end to end: executor → /v1/resolve over mTLS → gateway → adapter → official SDK client → wire-level
 * emulator. Dynamic Vault credentials are revoked at the emulator when the job completes and when it expires.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CrefgateClient } from '../../src/client/index.ts';
import { sweepExpiredLeases } from '../../src/leases/expiry_sweeper.ts';
import { runRevocations } from '../../src/leases/revocation_worker.ts';
import { SecretsManagerEmulator } from '../adapters/aws/emulator/secrets_manager.ts';
import { StsEmulator } from '../adapters/aws/emulator/sts.ts';
import { AzureKeyVaultEmulator } from '../adapters/azure/emulator/server.ts';
import { GcpSecretManagerEmulator } from '../adapters/gcp/emulator/server.ts';
import { startVaultEmulator, type VaultEmulator } from '../adapters/vault/emulator/server.ts';
import { refused } from '../helpers/assertions.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { makeTempFolder } from '../helpers/kit.ts';
import { vaultDbRoute, vaultKvRoute, vaultMount } from '../helpers/vault_mount.ts';

describe('resolving through every backend adapter', () => {
  let gw: TestGateway;
  let vault: VaultEmulator;
  let sm: SecretsManagerEmulator;
  let sts: StsEmulator;
  let gcp: GcpSecretManagerEmulator;
  let azure: AzureKeyVaultEmulator;
  let coordinator: CrefgateClient;
  let executor: CrefgateClient;
  let tmp: Awaited<ReturnType<typeof makeTempFolder>>;
  let stsEndpoint: string;
  const env = process.env;
  const issue = (crefs: Record<string, string>, ttl = 600) => coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl });

  before(async () => {
    tmp = await makeTempFolder('crefgate-backends-');
    vault = await startVaultEmulator();
    vault.mountKv('secret', 2);
    vault.addDynamicRole('database', 'readonly', { defaultTtl: 3600, maxTtl: 7200 });
    vault.seedKv('secret', 'tenants/tenant_abc/ci', { token: 'vault-static-value-123', user: 'ci' });
    sm = new SecretsManagerEmulator('eu-west-1');
    await sm.start();
    sm.seed('tenant_abc/api_key', 'aws-static-value-456');
    sts = new StsEmulator('eu-west-1');
    stsEndpoint = await sts.start();
    gcp = await GcpSecretManagerEmulator.start();
    gcp.addVersion('projects/crefgate-test/secrets/tenant_abc__signing_key', 'gcp-static-value-789');
    azure = await AzureKeyVaultEmulator.start();
    azure.setSecret('tenant-abc--storage-key', 'azure-static-value-012', 'text/plain');
    await writeFile(path.join(tmp.path, 'azure-ca.pem'), azure.caPem);
    Object.assign(env, {
      CREFGATE_E2E_VAULT_TOKEN: vault.rootToken,
      CREFGATE_E2E_AWS_KEY: 'AKIACREFGATETEST0001',
      CREFGATE_E2E_AWS_SECRET: 'not-a-real-secret-key',
      CREFGATE_E2E_AZURE_TOKEN: azure.token,
    });
    const awsCredentials = { access_key_id_env: 'CREFGATE_E2E_AWS_KEY', secret_access_key_env: 'CREFGATE_E2E_AWS_SECRET' };
    gw = await startGateway({
      gateway: { workers: false },
      mutate: (config) => {
        config.mounts.vault = vaultMount(vault.url, 'CREFGATE_E2E_VAULT_TOKEN', { timeoutMs: 2000, breaker: { failure_threshold: 2, cooldown_ms: 60_000 } });
        const defaults = { timeout_ms: 3000, retry: { attempts: 1, base_delay_ms: 10, max_delay_ms: 100 }, breaker: { failure_threshold: 5, cooldown_ms: 10_000 } };
        config.mounts.aws = { adapter: 'aws-secrets-manager', options: { region: 'eu-west-1', endpoint: sm.endpoint, credentials: awsCredentials }, ...defaults };
        config.mounts.sts = { adapter: 'aws-sts', options: { region: 'eu-west-1', endpoint: stsEndpoint, credentials: awsCredentials, account_id: '123456789012' }, ...defaults };
        config.mounts.gcp = { adapter: 'gcp-secret-manager', options: { project: 'crefgate-test', api_endpoint: '127.0.0.1', port: gcp.port, insecure: true }, ...defaults };
        config.mounts.azure = {
          adapter: 'azure-key-vault',
          options: { vault_url: azure.url, ca_file: path.join(tmp.path, 'azure-ca.pem'), credential: { static_token_env: 'CREFGATE_E2E_AZURE_TOKEN' }, disable_challenge_resource_verification: true },
          ...defaults,
        };
        config.routes.unshift(
          vaultKvRoute(),
          vaultDbRoute(),
          { cref: 'cref://{tenant}/aws/{name}', mount: 'aws', path: '{tenant}/{name}', dynamic: false },
          { cref: 'cref://{tenant}/aws-role/{role}', mount: 'sts', path: '{role}', dynamic: true },
          { cref: 'cref://{tenant}/gcp/{name}', mount: 'gcp', path: '{tenant}/{name}', dynamic: false },
          { cref: 'cref://tenant_abc/azure/{name}', mount: 'azure', path: 'tenant-abc/{name}', dynamic: false },
        );
      },
    });
    coordinator = gw.client('coordinator');
    executor = gw.client('executor');
  });

  after(async () => {
    await gw?.close();
    await Promise.allSettled([vault.close(), sm.close(), sts.close(), gcp.stop(), azure.stop()]);
    for (const key of ['CREFGATE_E2E_VAULT_TOKEN', 'CREFGATE_E2E_AWS_KEY', 'CREFGATE_E2E_AWS_SECRET', 'CREFGATE_E2E_AZURE_TOKEN']) delete env[key];
    await tmp.remove();
  });

  it('resolves one job whose crefs span Vault, AWS, GCP, Azure and the local store, all or nothing', async () => {
    const envelope = await issue({
      vault: 'cref://tenant_abc/vault/ci',
      aws: 'cref://tenant_abc/aws/api_key',
      gcp: 'cref://tenant_abc/gcp/signing_key',
      azure: 'cref://tenant_abc/azure/storage-key',
      local: 'cref://tenant_abc/github_token',
    });
    const { secrets } = await executor.resolve(envelope, { hmacSecrets: gw.hmac });
    assert.equal(secrets.vault!.value, 'vault-static-value-123');
    assert.equal(secrets.aws!.value, 'aws-static-value-456');
    assert.equal(secrets.gcp!.value, 'gcp-static-value-789');
    assert.equal(secrets.azure!.value, 'azure-static-value-012');
    assert.match(secrets.local!.value as string, /^ghp_demo_/);
    const audit = JSON.stringify(await gw.auditLines());
    for (const v of ['vault-static-value-123', 'aws-static-value-456', 'gcp-static-value-789', 'azure-static-value-012']) assert.ok(!audit.includes(v));
  });

  it('fails the whole resolve when one backend misses, releasing nothing', async () => {
    const envelope = await issue({ aws: 'cref://tenant_abc/aws/api_key', gone: 'cref://tenant_abc/gcp/absent' });
    await refused(gw, executor.resolve(envelope), 'not_found', 'backend');
    const granted = (await gw.auditLines()).filter((l) => l.job_id === envelope.payload.job_id && l.outcome === 'granted' && l.action === 'resolve');
    assert.equal(granted.length, 0);
  });

  it('wraps a dynamic Vault lease, caps it at the job end, and revokes it at Vault when the job completes', async () => {
    const envelope = await issue({ db: 'cref://tenant_abc/db/readonly' }, 600);
    const { secrets } = await executor.resolve(envelope);
    const lease = secrets.db!;
    assert.deepEqual(Object.keys(lease.value as object).sort(), ['password', 'username']);
    assert.ok(lease.expires_at <= envelope.payload.expires_at, 'Vault granted 3600 s; the gateway lease ends with the job');
    const record = await gw.gateway.services.state.leases.get(lease.lease_id);
    const vaultLeaseId = (record!.handle as { lease_id: string }).lease_id;
    assert.equal(vault.leaseState(vaultLeaseId), 'active');
    assert.ok(!JSON.stringify(record).includes((lease.value as Record<string, string>).password!), 'the lease record holds no secret');
    await executor.completeJob(envelope.payload.job_id);
    assert.equal(await runRevocations(gw.gateway.services, 'test'), 1);
    assert.equal(vault.leaseState(vaultLeaseId), 'revoked');
    assert.equal(await gw.gateway.services.state.revocations.depth(), 0);
  });

  it('revokes a dynamic Vault lease at Vault when the job expires', async () => {
    const envelope = await issue({ db: 'cref://tenant_abc/db/readonly' }, 120);
    const { secrets } = await executor.resolve(envelope);
    const vaultLeaseId = ((await gw.gateway.services.state.leases.get(secrets.db!.lease_id))!.handle as { lease_id: string }).lease_id;
    gw.clock.advance(121_000);
    try {
      assert.ok((await sweepExpiredLeases(gw.gateway.services)) >= 1);
      await runRevocations(gw.gateway.services, 'test');
      assert.equal(vault.leaseState(vaultLeaseId), 'revoked');
    } finally {
      gw.clock.advance(-121_000);
    }
  });

  it('issues STS credentials tagged with tenant, executor and job, and records that they cannot be revoked', async () => {
    const envelope = await issue({ deploy: 'cref://tenant_abc/aws-role/deployer' }, 600);
    const { secrets } = await executor.resolve(envelope);
    const creds = secrets.deploy!.value as Record<string, string>;
    assert.ok(creds.access_key_id && creds.secret_access_key && creds.session_token);
    const call = sts.lastAssumeRole!;
    assert.equal(call.raw.RoleSessionName, envelope.payload.job_id);
    assert.equal(call.raw.DurationSeconds, '900', 'clamped up to the STS minimum');
    assert.match(JSON.stringify(call.raw), /exec-01/);
    const record = await gw.gateway.services.state.leases.get(secrets.deploy!.lease_id);
    assert.equal(record!.revocable, false);
  });

  it('answers a Vault outage with unavailable, and the open breaker stops calls to the dead backend', async () => {
    await vault.stop();
    try {
      for (let i = 0; i < 2; i++) {
        const envelope = await issue({ v: 'cref://tenant_abc/vault/ci' });
        await refused(gw, executor.resolve(envelope), 'unavailable', 'backend');
      }
      const envelope = await issue({ v: 'cref://tenant_abc/vault/ci' });
      const line = await refused(gw, executor.resolve(envelope), 'unavailable', 'backend');
      assert.match(line.reason!, /circuit/, 'the breaker is open: no call reaches a dead backend');
    } finally {
      await vault.start();
    }
    assert.equal(gw.gateway.services.mounts.get('vault').breakerState(), 'open');
  });

  it('keeps backend credentials out of the logs when backends fail', async () => {
    azure.fault = 'unavailable';
    try {
      const envelope = await issue({ a: 'cref://tenant_abc/azure/storage-key' });
      await refused(gw, executor.resolve(envelope), 'unavailable', 'backend');
    } finally {
      azure.fault = null;
    }
    const logs = gw.logs.join('');
    assert.ok(logs.includes('request failed'), 'the failures were logged');
    for (const credential of [vault.rootToken, azure.token, 'not-a-real-secret-key']) {
      assert.ok(!logs.includes(credential), 'a backend credential reached the logs');
    }
  });
});
