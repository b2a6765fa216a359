import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CompactRange, MerkleTree, leafHash, verifyConsistency } from '../../src/audit/log/merkle.ts';
import { TreeWindow } from '../../src/audit/log/tree_window.ts';

describe('tree window: consistency proofs without the whole tree', () => {
  it('gives exactly the proofs of the full tree, for every base ≤ m ≤ n (property, 1..70 leaves)', () => {
    const leaves = Array.from({ length: 70 }, () => leafHash(randomBytes(12)));
    const tree = new MerkleTree(leaves);
    let checked = 0;
    for (const base of [0, 1, 5, 8, 13, 32, 64]) {
      const range = new CompactRange();
      for (const leaf of leaves.slice(0, base)) range.append(leaf);
      const window = new TreeWindow(range);
      for (const leaf of leaves.slice(base)) window.append(leaf);
      for (let m = base; m <= 70; m += 3) {
        for (let n = Math.max(m, 1); n <= 70; n += 5) {
          const proof = window.consistencyProof(m, n)!;
          assert.deepEqual(proof, tree.consistencyProof(m, n), `base ${base}, ${m} → ${n}`);
          if (m > 0) assert.ok(verifyConsistency(m, n, tree.root(m), tree.root(n), proof));
          checked++;
        }
      }
      if (base > 1) assert.equal(window.consistencyProof(base - 1, 70), undefined, 'before the window: the caller rebuilds');
    }
    assert.ok(checked > 300);
  });

  it('advances and rewinds without changing its proofs', () => {
    const leaves = Array.from({ length: 40 }, () => leafHash(randomBytes(8)));
    const tree = new MerkleTree(leaves);
    const window = new TreeWindow(new CompactRange());
    for (const leaf of leaves) window.append(leaf);
    window.advance(25);
    assert.equal(window.start, 25);
    assert.deepEqual(window.consistencyProof(27, 40), tree.consistencyProof(27, 40));
    const range = new CompactRange();
    for (const leaf of leaves.slice(0, 10)) range.append(leaf);
    window.rewind(range, leaves.slice(10, 25));
    assert.deepEqual(window.consistencyProof(11, 39), tree.consistencyProof(11, 39));
    assert.throws(() => window.rewind(range, leaves.slice(10, 15)), /does not end where the window starts/);
  });
});
