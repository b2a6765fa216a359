/**
 * The one secret-version grace rule (issue 17.5): the previous HMAC secret is accepted until supersededAt + graceMs,
 * that instant included, and every reader (step 4, the executor view, pruning at rotation) agrees on the boundary.
 */
import assert from 'node:assert/strict';
import { acceptableSecret } from '../../src/chain/verify_hmac.ts';
import { describeExecutor } from '../../src/executors/secrets.ts';
import type { ExecutorRecord, HmacSecretVersion } from '../../src/state/contract.ts';
import { rotateVersions } from '../../src/state/records.ts';
import { acceptedUntil, isAccepted, isCurrent, secretStatus } from '../../src/state/secret_grace.ts';

const version = (kid: string, supersededAt?: number): HmacSecretVersion =>
  ({ kid, secret: Buffer.alloc(32, kid.length), createdAt: 0, ...(supersededAt === undefined ? {} : { supersededAt }) });
const record = (secrets: HmacSecretVersion[], graceMs: number): ExecutorRecord =>
  ({ id: 'e', tenant: 't', identities: [], allowedCrefs: [], enabled: true, createdAt: 0, secrets, graceMs });

describe('secret grace rule', () => {
  it('has no end for the current version', () => {
    assert.equal(isCurrent({}), true);
    assert.equal(isCurrent({ supersededAt: 0 }), false, 'superseded at epoch 0 is still superseded');
    assert.equal(acceptedUntil({}, 5000), undefined);
    assert.equal(isAccepted({}, 0, Number.MAX_SAFE_INTEGER), true);
    assert.equal(secretStatus({}, 0, 1e15), 'current');
  });

  it('accepts a superseded version up to and including supersededAt + graceMs, then retires it', () => {
    const old = { supersededAt: 10_000 };
    assert.equal(acceptedUntil(old, 5000), 15_000);
    assert.equal(isAccepted(old, 5000, 15_000), true, 'the last instant is still inside');
    assert.equal(isAccepted(old, 5000, 15_001), false);
    assert.deepEqual([14_999, 15_000, 15_001].map((t) => secretStatus(old, 5000, t)), ['grace', 'grace', 'retired']);
  });

  it('with no grace, a superseded version is accepted only at the instant of the rotation', () => {
    assert.equal(isAccepted({ supersededAt: 7 }, 0, 7), true);
    assert.equal(isAccepted({ supersededAt: 7 }, 0, 8), false);
  });

  it('step 4, the executor view and pruning read the same boundary', () => {
    const r = record([version('k-new'), version('k-old', 10_000)], 5000);
    assert.ok(acceptableSecret(r, 'k-old', 15_000));
    assert.equal(acceptableSecret(r, 'k-old', 15_001), undefined);
    const view = (now: number) => describeExecutor(r, now).secret_versions.map((v) => [v.kid, v.status, 'accepted_until' in v ? v.accepted_until : null]);
    assert.deepEqual(view(15_000), [['k-new', 'current', null], ['k-old', 'grace', 15]]);
    assert.deepEqual(view(15_001), [['k-new', 'current', null], ['k-old', 'retired', 15]]);
    // A third rotation keeps the newest two always, and a third only while it is still accepted.
    const three = [version('k-2'), version('k-1', 10_000), version('k-0', 8000)];
    assert.deepEqual(rotateVersions(three, version('k-3'), 13_000, 5000).map((v) => v.kid), ['k-3', 'k-2', 'k-1', 'k-0']);
    assert.deepEqual(rotateVersions(three, version('k-3'), 13_001, 5000).map((v) => v.kid), ['k-3', 'k-2', 'k-1']);
  });
});
