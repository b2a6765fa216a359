/**
 * The adapter conformance suite: the same cases against every adapter, each wired to its wire-level emulator
 * through the official SDK. An adapter's test file calls `describeAdapter(`${manifest.kind} kv2`, setup)`: the
 * title starts with the kind it covers, the first case checks the adapter really is of that kind, and the kind is
 * recorded in `coveredKinds`, which the meta-test (test/adapters/conformance_coverage.test.ts) compares with
 * the built-in manifests. Adapters may add their own cases beside it; they may not skip these.
 */
import assert from 'node:assert/strict';
import type { SecretAdapter, SecretPayload } from '../../adapters/contract.ts';
import { rejectsKind } from '../helpers/adapter_errors.ts';
import { signal } from '../helpers/kit.ts';

export interface ConformanceFixture {
  adapter: SecretAdapter;
  /** Stores a static secret in the emulator at the backend path the adapter reads (`read({path})`). */
  seed(path: string, value: SecretPayload): Promise<void>;
  /** True if `read` with `field` selects a key of a structured secret. */
  supportsFields: boolean;
  /** A path the emulator answers with a permission error. */
  deniedPath?: string;
  /** Makes the emulator answer every request with the fault until cleared with null. */
  setFault?(fault: 'throttled' | 'unavailable' | null): void;
  /** For adapters with `issue`: a path that mints dynamic credentials. */
  dynamicPath?: string;
  /** For revocable dynamic credentials: asks the emulator whether the credential behind `handle` is revoked. */
  isRevoked?(handle: unknown): Promise<boolean>;
  /**
   * The backend has no static secrets (GitHub App tokens): `read` must refuse with invalid_reference, and the
   * read cases run as their `issue` equivalents on `dynamicPath` instead of being skipped.
   */
  issueOnly?: boolean;
  /** Keys of a structured credential that name it rather than protect it (a database user name): the handle may hold them. */
  publicFields?: string[];
  close(): Promise<void>;
}

/** An already-aborted call rejects without a backend round trip; close needs no long drain. */
const ABORT_PROMPT_MS = 250;
const CLOSE_MS = 2000;

/** True when `err` is the abort: the signal's reason itself, an AbortError, or an error caused by either. */
function isAbortRejection(err: unknown, reason: unknown): boolean {
  for (let at = err, depth = 0; at !== undefined && at !== null && depth < 5; depth++) {
    if (at === reason) return true;
    const e = at as { name?: unknown; code?: unknown; cause?: unknown };
    if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return true;
    at = e.cause;
  }
  return false;
}

/** Fails unless `promise` resolves within `ms` (a rejection fails too, with its reason). */
async function settlesWithin(promise: Promise<unknown>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}


/** Every kind a `describeAdapter` call was registered for in this process, in registration order. */
export const coveredKinds: string[] = [];

/**
 * Registers the shared cases for one adapter. `name` is the kind, optionally followed by a space and what this
 * run varies (`vault kv1`); `setup` runs before each case; the fixture is closed after.
 */
export function describeAdapter(name: string, setup: () => Promise<ConformanceFixture>): void {
  const kind = name.split(' ')[0]!;
  coveredKinds.push(kind);
  describe(`adapter conformance: ${name}`, () => {
    let fx: ConformanceFixture;
    beforeEach(async () => {
      fx = await setup();
    });
    afterEach(async () => {
      await fx?.close();
    });

    it(`is an adapter of kind ${kind}, the kind its title names`, () => {
      assert.equal(fx.adapter.kind, kind);
    });

    it('reads a seeded string secret', async function () {
      if (fx.issueOnly) this.skip();
      await fx.seed('conformance/plain', 's3cr3t-plain-value');
      const secret = await fx.adapter.read({ path: 'conformance/plain', signal: signal() });
      assert.equal(secret.value, 's3cr3t-plain-value');
    });

    it('reports an unknown path as not_found', async function () {
      if (fx.issueOnly) this.skip();
      await rejectsKind(fx.adapter.read({ path: 'conformance/absent', signal: signal() }), 'not_found');
    });

    it('selects a field of a structured secret, and a missing field is not_found', async function () {
      if (!fx.supportsFields) this.skip();
      await fx.seed('conformance/structured', { username: 'app', password: 'pw-value-1' });
      const secret = await fx.adapter.read({ path: 'conformance/structured', field: 'password', signal: signal() });
      assert.equal(secret.value, 'pw-value-1');
      await rejectsKind(fx.adapter.read({ path: 'conformance/structured', field: 'nope', signal: signal() }), 'not_found');
    });

    it('maps a backend permission error to permission_denied, never to not_found', async function () {
      if (fx.deniedPath === undefined) this.skip();
      await rejectsKind(fx.adapter.read({ path: fx.deniedPath, signal: signal() }), 'permission_denied');
    });

    it('maps throttling and outages to retryable errors', async function () {
      if (fx.issueOnly) this.skip();
      if (fx.setFault === undefined) this.skip();
      await fx.seed('conformance/faulty', 'value-behind-fault');
      fx.setFault('throttled');
      const throttled = await rejectsKind(fx.adapter.read({ path: 'conformance/faulty', signal: signal() }), 'throttled');
      assert.equal(throttled.retryable, true);
      fx.setFault('unavailable');
      const down = await rejectsKind(fx.adapter.read({ path: 'conformance/faulty', signal: signal() }), 'unavailable');
      assert.equal(down.retryable, true);
      fx.setFault(null);
      assert.equal((await fx.adapter.read({ path: 'conformance/faulty', signal: signal() })).value, 'value-behind-fault');
    });

    it('keeps secret values and backend text out of error messages', async function () {
      if (fx.issueOnly) this.skip();
      await fx.seed('conformance/leak', 'value-that-must-not-leak');
      const err = await rejectsKind(fx.adapter.read({ path: 'conformance/leak', field: 'x', signal: signal() }), 'not_found').catch(
        async () => rejectsKind(fx.adapter.read({ path: 'conformance/leak-absent', signal: signal() }), 'not_found'),
      );
      for (const text of [err.message, err.reason, err.publicMessage]) assert.ok(!text.includes('value-that-must-not-leak'));
      assert.equal(err.message, err.publicMessage, 'the client-facing message is the coarse public one');
    });

    it('rejects promptly when the signal is already aborted', async function () {
      if (fx.issueOnly) this.skip();
      await fx.seed('conformance/abort', 'v');
      // Promptly and because of the abort: a rejection for another reason (a fault, a missing secret), or one
      // that arrives only after a backend round trip, does not count.
      const controller = new AbortController();
      const reason = new Error('conformance abort');
      controller.abort(reason);
      const started = performance.now();
      const err = await fx.adapter.read({ path: 'conformance/abort', signal: controller.signal }).then(
        () => assert.fail('read with an aborted signal resolved'),
        (e: unknown) => e,
      );
      assert.ok(performance.now() - started < ABORT_PROMPT_MS, `rejected after ${Math.round(performance.now() - started)} ms`);
      assert.ok(isAbortRejection(err, reason), `rejected for another reason than the abort: ${String(err)}`);
    });

    it('reports health', async () => {
      const health = await fx.adapter.health(signal());
      assert.equal(health.ok, true);
    });

    it('issues dynamic credentials with a JSON handle that holds no secret, and revokes idempotently', async function () {
      if (fx.dynamicPath === undefined || fx.adapter.issue === undefined) this.skip();
      const job = { jobId: 'job-conf', tenant: 'tenant_abc', executor: 'exec-01', expiresAt: Date.now() + 3_600_000 };
      const cred = await fx.adapter.issue({ path: fx.dynamicPath, maxTtlSeconds: 1800, job, signal: signal() });
      assert.ok(cred.leaseDuration > 0);
      const handleText = JSON.stringify(cred.handle);
      assert.deepEqual(JSON.parse(handleText), cred.handle, 'handle survives JSON');
      const values = typeof cred.value === 'string' ? [cred.value] : Object.entries(cred.value).filter(([k]) => !fx.publicFields?.includes(k)).map(([, v]) => v);
      for (const v of values) if (v.length >= 8) assert.ok(!handleText.includes(v), 'handle must not hold the secret');
      if (cred.revocable && fx.adapter.revoke !== undefined) {
        await fx.adapter.revoke({ handle: cred.handle, signal: signal() });
        await fx.adapter.revoke({ handle: cred.handle, signal: signal() });
        if (fx.isRevoked !== undefined) assert.equal(await fx.isRevoked(cred.handle), true);
      }
    });

    it('issue-only: refuses read, maps faults on issue to retryable errors, honours an aborted signal, leaks nothing', async function () {
      if (!fx.issueOnly) this.skip();
      assert.ok(fx.dynamicPath !== undefined && fx.adapter.issue !== undefined, 'an issue-only adapter names a dynamicPath');
      await rejectsKind(fx.adapter.read({ path: fx.dynamicPath, signal: signal() }), 'invalid_reference');
      const job = { jobId: 'job-conf', tenant: 'tenant_abc', executor: 'exec-01', expiresAt: Date.now() + 3_600_000 };
      const issue = (s: AbortSignal) => fx.adapter.issue!({ path: fx.dynamicPath!, maxTtlSeconds: 1800, job, signal: s });
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(issue(controller.signal));
      if (fx.setFault !== undefined) {
        fx.setFault('throttled');
        const throttled = await rejectsKind(issue(signal()), 'throttled');
        assert.equal(throttled.retryable, true);
        assert.equal(throttled.message, throttled.publicMessage, 'the client-facing message is the coarse public one');
        fx.setFault('unavailable');
        assert.equal((await rejectsKind(issue(signal()), 'unavailable')).retryable, true);
        fx.setFault(null);
      }
      const cred = await issue(signal());
      assert.ok(typeof cred.value === 'string' || Object.keys(cred.value).length > 0);
    });

    it('closes promptly, idempotently, and settles calls made after close', async () => {
      if (!fx.issueOnly) {
        await fx.seed('conformance/closing', 'v');
        await fx.adapter.read({ path: 'conformance/closing', signal: signal() });
      }
      await settlesWithin(fx.adapter.close(), CLOSE_MS, 'close');
      // The gateway may close twice (shutdown after a failed start); the second call must not throw or hang.
      await settlesWithin(fx.adapter.close(), CLOSE_MS, 'a second close');
      // Whatever a closed adapter answers (a refusal, or a value if it holds no resources), it never hangs.
      await settlesWithin(fx.adapter.read({ path: 'conformance/closing', signal: signal() }).catch(() => undefined), CLOSE_MS, 'a read after close');
    });
  });
}
