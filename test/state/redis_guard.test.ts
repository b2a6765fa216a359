import assert from 'node:assert/strict';
import { GatewayError } from '../../src/errors.ts';
import { StateUnavailableError } from '../../src/state/contract.ts';
import { guarded } from '../../src/state/redis/guard.ts';

const replyError = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

describe('redis guard: every store operation fails closed within its deadline', () => {
  it('passes an answer through', async () => {
    assert.equal(await guarded('op', 1000, async () => 42), 42);
  });

  it('gives up on an operation that never answers, and ignores its late answer', async () => {
    let late: (v: number) => void = () => undefined;
    const started = Date.now();
    await assert.rejects(
      guarded('nonces.reserve', 50, () => new Promise<number>((r) => (late = r))),
      (err: unknown) => err instanceof StateUnavailableError && /nonces.reserve: no answer within 50 ms/.test(err.reason ?? ""),
    );
    assert.ok(Date.now() - started < 1000);
    late(1);
  });

  it('keeps each deadline when many operations share one timer: answered ones pass, hung ones expire in time', async () => {
    const hung: Array<(v: number) => void> = [];
    const hang = () => new Promise<number>((r) => hung.push(r));
    const started = performance.now();
    const outcomes = await Promise.allSettled([
      guarded('a', 80, async () => 1),
      guarded('b', 80, hang),
      guarded('c', 80, () => new Promise<number>((r) => setTimeout(() => r(3), 20))),
      new Promise((r) => setTimeout(r, 40)).then(() => guarded('d', 80, hang)),
    ]);
    const elapsed = performance.now() - started;
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    assert.equal((outcomes[2] as PromiseFulfilledResult<number>).value, 3);
    // 'd' started 40 ms in: its deadline is its own, not the oldest operation's.
    assert.ok(elapsed >= 115 && elapsed < 1000, `elapsed ${elapsed}`);
    for (const r of hung) r(0);
    // After the queue drained, a new hung operation still expires (the timer is re-armed, not lost).
    await assert.rejects(guarded('e', 30, hang), StateUnavailableError);
  });

  it('maps connection failures to unavailable and a refused command to internal, thrown or rejected', async () => {
    await assert.rejects(guarded('op', 1000, () => Promise.reject(new Error('Connection is closed.'))), StateUnavailableError);
    await assert.rejects(guarded('op', 1000, () => Promise.reject(replyError('LOADING Redis is loading'))), StateUnavailableError);
    await assert.rejects(
      guarded('op', 1000, () => Promise.reject(replyError('ERR unknown command'))),
      (err: unknown) => err instanceof GatewayError && !(err instanceof StateUnavailableError) && err.code === 'internal',
    );
    // A slot on the move (redirections ioredis gave up following) is the cluster being busy, not a bad command:
    // the client gets 503 with a retry hint, never a 500.
    await assert.rejects(guarded('op', 1000, () => Promise.reject(replyError('MOVED 3999 127.0.0.1:6381'))), StateUnavailableError);
    await assert.rejects(guarded('op', 1000, () => Promise.reject(replyError('ASK 3999 127.0.0.1:6381'))), StateUnavailableError);
    await assert.rejects(
      guarded('op', 1000, () => {
        throw new Error('thrown before any promise');
      }),
      StateUnavailableError,
    );
  });
});
