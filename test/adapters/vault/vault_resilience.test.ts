/** The Vault adapter behind withResilience: Vault goes down, the breaker opens and fails fast, Vault recovers. */
import assert from 'node:assert/strict';
import { AdapterError } from '../../../adapters/contract.ts';
import { withResilience, type ResilientAdapter } from '../../../adapters/resilience.ts';
import { vaultRig, type VaultTestRig } from './vault_fixture.ts';
import { signal } from '../../helpers/kit.ts';

async function failure(promise: Promise<unknown>): Promise<AdapterError> {
  const err = await promise.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AdapterError, String(err));
  return err;
}

describe('vault adapter with resilience', () => {
  let rig: VaultTestRig;
  let clock: number;
  let adapter: ResilientAdapter;
  beforeEach(async () => {
    rig = await vaultRig();
    rig.emulator.seedKv('secret', 'app/db', { value: 'v' });
    clock = 0;
    adapter = withResilience(
      rig.adapter,
      { timeoutMs: 300, retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 50 }, breaker: { failureThreshold: 3, cooldownMs: 10_000 } },
      { now: () => clock, sleep: async () => {} },
    );
    assert.equal((await adapter.read({ path: 'app/db', signal: signal() })).value, 'v');
  });
  afterEach(() => rig.fixture.close());

  it('Vault down: retries, opens the breaker, fails fast, then half-opens and closes on recovery', async () => {
    await rig.emulator.stop();
    const first = await failure(adapter.read({ path: 'app/db', signal: signal() }));
    assert.equal(first.kind, 'unavailable');
    assert.match(first.reason, /ECONNREFUSED/);
    assert.equal(adapter.breakerState(), 'closed', 'two failures so far (one try, one retry)');
    await failure(adapter.read({ path: 'app/db', signal: signal() }));
    assert.equal(adapter.breakerState(), 'open');

    await rig.emulator.start();
    const before = rig.emulator.requests.length;
    const fast = await failure(adapter.read({ path: 'app/db', signal: signal() }));
    assert.match(fast.reason, /circuit open/);
    assert.equal(rig.emulator.requests.length, before, 'an open circuit does not call Vault');

    clock += 10_000;
    assert.equal(adapter.breakerState(), 'half_open');
    assert.equal((await adapter.read({ path: 'app/db', signal: signal() })).value, 'v');
    assert.equal(adapter.breakerState(), 'closed');
  });

  it('a hanging Vault times out per attempt', async () => {
    rig.emulator.setFault('hang');
    const started = Date.now();
    const err = await failure(adapter.read({ path: 'app/db', signal: signal() }));
    assert.equal(err.kind, 'timeout');
    assert.ok(Date.now() - started < 2000);
    rig.emulator.setFault(null);
  });

  it('not_found and permission_denied are not retried and never open the breaker', async () => {
    for (let i = 0; i < 5; i += 1) {
      assert.equal((await failure(adapter.read({ path: 'app/missing', signal: signal() }))).kind, 'not_found');
      assert.equal((await failure(adapter.read({ path: 'denied/secret', signal: signal() }))).kind, 'permission_denied');
    }
    assert.equal(adapter.breakerState(), 'closed');
  });

  it('does not retry issue', async () => {
    rig.emulator.setFault({ status: 503 });
    const before = rig.emulator.requests.length;
    const job = { jobId: 'j', tenant: 't', executor: 'e', expiresAt: Date.now() + 60_000 };
    await failure(adapter.issue!({ path: 'database/creds/readonly', maxTtlSeconds: 60, job, signal: signal() }));
    assert.equal(rig.emulator.requests.length - before, 1);
    rig.emulator.setFault(null);
  });
});
