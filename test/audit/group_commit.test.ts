import assert from 'node:assert/strict';
import { GatewayError } from '../../src/errors.ts';
import { GENESIS_PREV, lineHash, prepareEvent } from '../../src/audit/trail/event_line.ts';
import { GroupCommit } from '../../src/audit/trail/group_commit.ts';
import { AuditHasher } from '../../src/audit/trail/hmac_keys.ts';
import { FakeSink } from './fake_sink.ts';
import { resolveEvent } from './helpers.ts';

const hasher = new AuditHasher(Buffer.alloc(32, 7));
const event = (n: number) => prepareEvent(resolveEvent(n), hasher, Date.now());
const isUnavailable = (err: unknown) => err instanceof GatewayError && err.code === 'unavailable' && err.step === 'audit';

function setup(timeoutMs = 100) {
  const primary = new FakeSink('file', true);
  const second = new FakeSink('redis', true);
  const stdout = new FakeSink('stdout', false);
  const commit = new GroupCommit({
    origin: 'o',
    head: { nextSeq: 0, prev: GENESIS_PREV },
    sinks: [primary, second, stdout],
    batchMs: 1,
    timeoutMs,
    onCommit: () => undefined,
    notice: () => undefined,
  });
  return { primary, second, stdout, commit };
}

describe('audit group commit: fail closed', () => {
  it('rejects a batch a required sink failed, rolls it back everywhere, and reuses its seqs', async () => {
    const { primary, second, stdout, commit } = setup();
    assert.equal((await commit.enqueue(event(0))).seq, 0);
    second.mode = 'fail';
    await assert.rejects(commit.enqueue(event(1)), isUnavailable);
    second.mode = 'ok';
    await new Promise((r) => setTimeout(r, 5));
    assert.equal((await commit.enqueue(event(2))).seq, 1, 'the abandoned seq is reused');
    await commit.close();
    assert.equal(primary.lines.length, 2);
    assert.deepEqual(primary.lines, second.lines);
    assert.deepEqual(stdout.lines, primary.lines, 'best-effort sinks never see an abandoned batch');
    assert.equal(JSON.parse(primary.lines[1]!).prev, lineHash(primary.lines[0]!));
  });

  it('times out a hanging sink, fails fast while it is stuck, then recovers', async () => {
    const { primary, second, commit } = setup(50);
    second.mode = 'hang';
    const started = Date.now();
    await assert.rejects(commit.enqueue(event(0)), isUnavailable);
    assert.ok(Date.now() - started < 1000);
    await assert.rejects(commit.enqueue(event(1)), isUnavailable);
    assert.match(commit.refusal ?? '', /rolled back/);
    second.mode = 'ok';
    second.unstick();
    await new Promise((r) => setTimeout(r, 10));
    assert.equal((await commit.enqueue(event(2))).seq, 0);
    await commit.close();
    assert.equal(primary.lines.length, 1);
  });
});
