import assert from 'node:assert/strict';
import { newNonce, randomId } from '../../src/crypto/random.ts';

describe('random ids from the refilled pool', () => {
  it('never repeats across many pool refills, and keeps the requested length', () => {
    const seen = new Set<string>();
    // 16 + 24 bytes a round: 20,000 rounds refill the 4 KB pool about 200 times.
    for (let i = 0; i < 20_000; i++) {
      const id = randomId('req');
      const nonce = newNonce();
      assert.match(id, /^req_[A-Za-z0-9_-]{22}$/);
      assert.match(nonce, /^[A-Za-z0-9_-]{32}$/);
      seen.add(id).add(nonce);
    }
    assert.equal(seen.size, 40_000);
    assert.match(randomId('big', 5000), /^big_[A-Za-z0-9_-]{6667}$/);
  });

  it('hands out bytes that look uniform (no zeroed or repeated pool)', () => {
    const counts = new Array<number>(64).fill(0);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < 4000; i++) for (const c of randomId('x').slice(2, 22)) counts[alphabet.indexOf(c)]! += 1;
    // 80,000 characters over 64 symbols: 1,250 expected each; a stuck or zeroed pool would pile up on 'A'.
    for (const n of counts) assert.ok(n > 1000 && n < 1500, `symbol count ${n}`);
  });
});
