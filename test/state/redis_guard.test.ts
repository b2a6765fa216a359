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

  it('maps connection failures to unavailable and a refused command to internal, thrown or rejected', async () => {
    await assert.rejects(guarded('op', 1000, () => Promise.reject(new Error('Connection is closed.'))), StateUnavailableError);
    await assert.rejects(guarded('op', 1000, () => Promise.reject(replyError('LOADING Redis is loading'))), StateUnavailableError);
    await assert.rejects(
      guarded('op', 1000, () => Promise.reject(replyError('ERR unknown command'))),
      (err: unknown) => err instanceof GatewayError && !(err instanceof StateUnavailableError) && err.code === 'internal',
    );
    await assert.rejects(
      guarded('op', 1000, () => {
        throw new Error('thrown before any promise');
      }),
      StateUnavailableError,
    );
  });
});
