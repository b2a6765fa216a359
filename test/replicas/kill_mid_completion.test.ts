/**
 * Issue 15.3: a replica SIGKILLed while it completes jobs holding dynamic Vault credentials. The completions are
 * retried on the surviving replica (completion is idempotent: the job stays closed, what is still active is
 * revoked), and every credential ends revoked at Vault: revocations the victim queued and left claimed are taken
 * over after the stale delay, and ones it recorded but never queued are moved by the sweep.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { Envelope } from '../../src/client/index.ts';
import { RedisKeys } from '../../src/state/redis/keys.ts';
import type { VaultEmulator } from '../adapters/vault/emulator/server.ts';
import type { ReplicaSet } from '../helpers/replicas.ts';
import { until } from '../helpers/until.ts';
import { startVaultReplicas } from './vault_replicas.ts';

describe('a replica killed in the middle of job completions', function () {
  this.timeout(90_000);
  let set: ReplicaSet;
  let vault: VaultEmulator;

  before(async () => {
    ({ set, vault } = await startVaultReplicas(2));
  });
  after(async () => {
    await set?.close();
    await vault?.close();
  });

  it('ends with every dynamic credential revoked at Vault', async () => {
    const [victim, survivor] = set.replicas as [typeof set.replicas[0], typeof set.replicas[0]];
    const coordinator = survivor.client('coordinator');
    const crefs = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`db${i}`, 'cref://tenant_abc/db/readonly']));
    const before = new Set(vault.state.leases.keys());
    const envelopes: Envelope[] = [];
    for (let i = 0; i < 8; i++) envelopes.push(await coordinator.issueJob({ tenant: 'tenant_abc', executor: 'exec-01', crefs, ttl: 600 }));
    const executor = survivor.client('executor');
    for (const envelope of envelopes) await executor.resolve(envelope);
    const minted = [...vault.state.leases.keys()].filter((id) => !before.has(id));
    assert.equal(minted.length, 48);

    // Kill the victim as soon as it has ended its first lease: in the middle of the completions.
    const redis = new Redis(process.env.REDIS_URL!);
    const keys = new RedisKeys(set.keyPrefix);
    const records: string[] = [];
    for (const e of envelopes) {
      for (const id of await redis.smembers(keys.leasesOfJob(e.payload.job_id))) records.push(`${keys.leaseRecordPrefix(e.payload.job_id)}${id}`);
    }
    assert.equal(records.length, 48);
    const ended = async (): Promise<number> => {
      const states = (await redis.pipeline(records.map((k) => ['hget', k, 'state'])).exec()) ?? [];
      return states.filter(([, state]) => state !== 'active').length;
    };
    const onVictim = victim.client('coordinator');
    const completions = envelopes.map((e) => onVictim.completeJob(e.payload.job_id).then(() => 'done', () => 'cut'));
    let atKill = 0;
    try {
      const deadline = Date.now() + 10_000;
      while ((await ended()) === 0 && Date.now() < deadline);
      await victim.kill('SIGKILL');
      atKill = await ended();
    } finally {
      redis.disconnect();
    }
    assert.ok(atKill > 0, 'the victim was killed while completing');
    const outcomes = await Promise.all(completions);
    // Whatever the victim finished or not, the survivor's completion (idempotent) ends the rest.
    for (const envelope of envelopes) await coordinator.completeJob(envelope.payload.job_id);
    const states = await Promise.all(envelopes.map(async (e) => (await coordinator.completeJob(e.payload.job_id)).revoked_leases));
    assert.deepEqual(states, envelopes.map(() => 0), 'nothing left active after the retries');
    await until('every credential revoked at Vault', async () => (minted.every((id) => vault.leaseState(id) === 'revoked') ? true : undefined), 60_000);
    assert.equal(outcomes.length, 8);
  });
});
