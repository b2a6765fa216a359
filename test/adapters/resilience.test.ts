import assert from 'node:assert/strict';
import { AdapterError, type SecretAdapter, type StaticSecret } from '../../adapters/contract.ts';
import { withResilience, type ResiliencePolicy } from '../../adapters/resilience.ts';
import { rejectsKind } from '../helpers/adapter_errors.ts';

const policy: ResiliencePolicy = {
  timeoutMs: 1000,
  retry: { attempts: 2, baseDelayMs: 100, maxDelayMs: 1000 },
  breaker: { failureThreshold: 3, cooldownMs: 5000 },
};

/** A scripted adapter: each call takes the next step (a value, an error, or 'hang'). */
function scripted(steps: Array<string | Error | 'hang'>): SecretAdapter & { calls: Record<string, number> } {
  const calls: Record<string, number> = { read: 0, issue: 0, revoke: 0 };
  const next = (op: string, signal: AbortSignal): Promise<string> => {
    calls[op] = (calls[op] ?? 0) + 1;
    const step = steps.shift() ?? 'ok';
    if (step === 'hang') return new Promise(() => {}); // ignores the signal on purpose: the wrapper must still time out
    if (step instanceof Error) return Promise.reject(step);
    signal.throwIfAborted();
    return Promise.resolve(step);
  };
  return {
    kind: 'scripted',
    calls,
    read: async (request): Promise<StaticSecret> => ({ value: await next('read', request.signal) }),
    issue: async (request) => ({ value: await next('issue', request.signal), leaseDuration: 60, renewable: true, revocable: true, handle: { id: 'x' } }),
    revoke: async (request) => void (await next('revoke', request.signal)),
    health: async () => ({ ok: true }),
    close: async () => {},
  };
}

function harness() {
  let clock = 1_000_000;
  const sleeps: number[] = [];
  const options = {
    now: () => clock,
    random: () => 0.5,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    },
  };
  return { options, sleeps, advance: (ms: number) => (clock += ms) };
}

const read = (adapter: SecretAdapter, signal = AbortSignal.timeout(5000)) => adapter.read({ path: 'p', signal });
const unavailable = () => new AdapterError('unavailable', 'backend down');


describe('withResilience', () => {
  it('retries retryable errors up to the configured attempts, with full jitter', async () => {
    const inner = scripted([unavailable(), unavailable(), 'third-time']);
    const h = harness();
    const adapter = withResilience(inner, policy, h.options);
    assert.equal((await read(adapter)).value, 'third-time');
    assert.equal(inner.calls.read, 3);
    assert.deepEqual(h.sleeps, [50, 100], 'random 0.5 × min(max, base·2^n)');
  });

  it('gives up after attempts + 1 tries and reports the last error', async () => {
    const inner = scripted([unavailable(), unavailable(), unavailable(), 'never']);
    const adapter = withResilience(inner, policy, harness().options);
    await rejectsKind(read(adapter), 'unavailable');
    assert.equal(inner.calls.read, 3);
  });

  for (const kind of ['not_found', 'permission_denied', 'invalid_reference', 'integrity'] as const) {
    it(`never retries ${kind}`, async () => {
      const inner = scripted([new AdapterError(kind, 'no'), 'never']);
      const adapter = withResilience(inner, policy, harness().options);
      await rejectsKind(read(adapter), kind);
      assert.equal(inner.calls.read, 1);
    });
  }

  it('never retries issue, even on a retryable error', async () => {
    const inner = scripted([unavailable(), 'second-credential']);
    const adapter = withResilience(inner, policy, harness().options);
    const job = { jobId: 'j', tenant: 't', executor: 'e', expiresAt: Date.now() + 60_000 };
    await rejectsKind(adapter.issue!({ path: 'database/creds/r', maxTtlSeconds: 60, job, signal: AbortSignal.timeout(5000) }), 'unavailable');
    assert.equal(inner.calls.issue, 1);
  });

  it('retries revoke', async () => {
    const inner = scripted([unavailable(), 'ok']);
    const adapter = withResilience(inner, policy, harness().options);
    await adapter.revoke!({ handle: { id: 'x' }, signal: AbortSignal.timeout(5000) });
    assert.equal(inner.calls.revoke, 2);
  });

  it('keeps only the capabilities of the wrapped adapter', () => {
    const { issue: _issue, revoke: _revoke, ...staticOnly } = scripted([]);
    const adapter = withResilience(staticOnly, policy);
    assert.equal(adapter.issue, undefined);
    assert.equal(adapter.renew, undefined);
    assert.equal(adapter.revoke, undefined);
  });

  it('honours retryAfter, bounded by maxDelayMs', async () => {
    const inner = scripted([
      new AdapterError('throttled', 'slow down', { retryAfter: 0.3 }),
      new AdapterError('throttled', 'slow down', { retryAfter: 60 }),
      'ok',
    ]);
    const h = harness();
    await read(withResilience(inner, policy, h.options));
    assert.deepEqual(h.sleeps, [300, 1000]);
  });

  it('wraps unknown throws as unavailable, keeping the cause', async () => {
    const boom = new TypeError('sdk exploded');
    const inner = scripted([boom, boom, boom]);
    const err = await rejectsKind(read(withResilience(inner, policy, harness().options)), 'unavailable');
    assert.equal(err.cause, boom);
    assert.equal(inner.calls.read, 3, 'wrapped unknown errors are retryable');
  });

  it('times out a hanging attempt with AdapterError(timeout)', async () => {
    const inner = scripted(['hang']);
    const adapter = withResilience(inner, { ...policy, timeoutMs: 30, retry: { ...policy.retry, attempts: 0 } });
    const started = Date.now();
    await rejectsKind(read(adapter), 'timeout', /exceeded 30 ms/);
    assert.ok(Date.now() - started < 1000);
  });

  it('does not retry once the caller has cancelled', async () => {
    const inner = scripted(['hang', 'never']);
    const controller = new AbortController();
    const adapter = withResilience(inner, policy, harness().options);
    const pending = read(adapter, controller.signal);
    controller.abort();
    await rejectsKind(pending, 'timeout', /cancelled/);
    assert.equal(inner.calls.read, 1);
    assert.equal(adapter.breakerState(), 'closed', 'a cancelled call is not a backend failure');
  });

  it('opens after consecutive retryable failures, fails fast, half-opens after the cooldown, then closes', async () => {
    const inner = scripted([unavailable(), unavailable(), unavailable()]);
    const h = harness();
    const adapter = withResilience(inner, { ...policy, retry: { ...policy.retry, attempts: 0 } }, h.options);
    for (let i = 0; i < 3; i += 1) await rejectsKind(read(adapter), 'unavailable', /backend down/);
    assert.equal(adapter.breakerState(), 'open');
    await rejectsKind(read(adapter), 'unavailable', /circuit open/);
    assert.equal(inner.calls.read, 3, 'fail fast: the backend is not called');
    h.advance(5000);
    assert.equal(adapter.breakerState(), 'half_open');
    assert.equal((await read(adapter)).value, 'ok');
    assert.equal(adapter.breakerState(), 'closed');
  });

  it('re-opens when the half-open trial fails, and lets only one trial through', async () => {
    const inner = scripted([unavailable(), unavailable(), unavailable(), 'hang', unavailable()]);
    const h = harness();
    const adapter = withResilience(inner, { ...policy, timeoutMs: 50, retry: { ...policy.retry, attempts: 0 } }, h.options);
    for (let i = 0; i < 3; i += 1) await rejectsKind(read(adapter), 'unavailable');
    h.advance(5000);
    const trial = read(adapter);
    await rejectsKind(read(adapter), 'unavailable', /circuit open/);
    await rejectsKind(trial, 'timeout');
    assert.equal(adapter.breakerState(), 'open');
    h.advance(4999);
    assert.equal(adapter.breakerState(), 'open', 'the cooldown restarts when the trial fails');
  });

  it('a non-retryable error does not count towards opening', async () => {
    const inner = scripted([unavailable(), unavailable(), new AdapterError('not_found', 'x'), unavailable(), unavailable()]);
    const adapter = withResilience(inner, { ...policy, retry: { ...policy.retry, attempts: 0 } }, harness().options);
    for (let i = 0; i < 5; i += 1) await read(adapter).catch(() => {});
    assert.equal(adapter.breakerState(), 'closed');
  });
});
