/** The Redis key layout: keys used together share a hash tag, whatever characters the ids hold. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RedisKeys } from '../../src/state/redis/keys.ts';

/** The Cluster hash tag of a key: the text between the first `{` and the next `}`, if non-empty. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('redis key layout', () => {
  const keys = new RedisKeys('crefgate:');

  it('puts a job and its nonces in one slot, and never lets an id forge another key', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (jobId, nonceA, nonceB) => {
        assert.equal(hashTag(keys.nonce(jobId, nonceA)), hashTag(keys.job(jobId)));
        assert.equal(hashTag(keys.nonce(jobId, nonceB)), hashTag(keys.job(jobId)));
        assert.notEqual(keys.job(jobId), keys.nonce(jobId, nonceA));
        if (nonceA !== nonceB) assert.notEqual(keys.nonce(jobId, nonceA), keys.nonce(jobId, nonceB));
      }),
    );
    assert.notEqual(keys.job('a}:nonce:x'), keys.nonce('a', 'x}'));
  });

  it("puts a job's leases, lease set and pending revocations in the job's slot (the commit is one script)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (leaseId, jobId, otherLease) => {
        const slot = hashTag(keys.job(jobId));
        assert.equal(hashTag(keys.lease(jobId, leaseId)), slot);
        assert.equal(hashTag(keys.leasesOfJob(jobId)), slot);
        assert.equal(hashTag(keys.revocationsPending(jobId)), slot);
        assert.ok(keys.lease(jobId, leaseId).startsWith(keys.leaseRecordPrefix(jobId)));
        if (leaseId !== otherLease) assert.notEqual(keys.lease(jobId, leaseId), keys.lease(jobId, otherLease));
        assert.notEqual(keys.lease(jobId, leaseId), keys.leasesOfJob(jobId));
        assert.equal(hashTag(keys.leaseLocator(leaseId)), 'leases');
        assert.equal(hashTag(keys.executor(leaseId)), 'executors');
      }),
    );
    assert.equal(hashTag(keys.leaseExpiry), 'leases');
    assert.equal(hashTag(keys.revocationWatch), 'leases');
    assert.equal(hashTag(keys.revocationStream), hashTag(keys.revocationDelayed));
    assert.equal(hashTag(keys.executorIds), 'executors');
  });
});
