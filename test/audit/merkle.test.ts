import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { CompactRange, MerkleTree, leafHash, lineAndLeafHash, verifyConsistency, verifyInclusion } from '../../src/audit/log/merkle.ts';

interface Vectors {
  leaves: string[];
  roots: string[];
  inclusion: { leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[] | null; desc: string; wantErr: boolean }[];
  consistency: { size1: number; size2: number; root1: string; root2: string; proof: string[] | null; desc: string; wantErr: boolean }[];
}
const vectors = JSON.parse(readFileSync(new URL('./vectors/merkle.json', import.meta.url), 'utf8')) as Vectors;
const b64 = (s: string) => Buffer.from(s, 'base64');
const leaves = vectors.leaves.map((hex) => leafHash(Buffer.from(hex, 'hex')));
const tree = new MerkleTree(leaves);

describe('RFC 6962 Merkle tree (transparency-dev/merkle vectors)', () => {
  it('computes the reference root of every size 0..8, whole and compact', () => {
    const compact = new CompactRange();
    for (let size = 0; size <= 8; size++) {
      assert.equal(tree.root(size).toString('hex'), vectors.roots[size], `size ${size}`);
      assert.equal(compact.root().toString('hex'), vectors.roots[size], `compact size ${size}`);
      if (size < 8) compact.append(leaves[size]!);
    }
  });

  for (const v of vectors.inclusion) {
    it(`inclusion ${v.leafIdx}/${v.treeSize}: ${v.desc}`, () => {
      const proof = (v.proof ?? []).map(b64);
      assert.equal(verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), proof, b64(v.root)), !v.wantErr);
      if (!v.wantErr) assert.deepEqual(tree.inclusionProof(v.leafIdx, v.treeSize), proof);
    });
  }

  for (const v of vectors.consistency) {
    it(`consistency ${v.size1}→${v.size2}: ${v.desc}`, () => {
      const proof = (v.proof ?? []).map(b64);
      assert.equal(verifyConsistency(v.size1, v.size2, b64(v.root1), b64(v.root2), proof), !v.wantErr);
      if (!v.wantErr) assert.deepEqual(tree.consistencyProof(v.size1, v.size2), proof);
    });
  }

  it('generated proofs verify and fail on a wrong leaf, for every index and size pair (property)', () => {
    const big = new MerkleTree(Array.from({ length: 70 }, (_, i) => leafHash(`line ${i}`)));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 0, max: 69 }), (size, raw) => {
        const index = raw % size;
        const proof = big.inclusionProof(index, size);
        assert.ok(verifyInclusion(index, size, leafHash(`line ${index}`), proof, big.root(size)));
        assert.ok(!verifyInclusion(index, size, leafHash('forged'), proof, big.root(size)));
        const m = (raw % size) + 1;
        assert.ok(verifyConsistency(m, size, big.root(m), big.root(size), big.consistencyProof(m, size)));
        if (m < size) assert.ok(!verifyConsistency(m, size, big.root(size), big.root(m), big.consistencyProof(m, size)));
      }),
    );
  });
});

describe('line hashes from the shared scratch buffer', () => {
  it('equal SHA-256 of the UTF-8 bytes (chain) and of 0x00 ‖ bytes (leaf), long and non-ASCII lines included (property)', () => {
    const line = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ minLength: 5000, maxLength: 9000 }));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 4 }), (lines) => {
        for (const text of lines) {
          const bytes = Buffer.from(text, 'utf8');
          const { chain, leaf } = lineAndLeafHash(text);
          assert.equal(chain, createHash('sha256').update(bytes).digest('hex'));
          assert.deepEqual(leaf, createHash('sha256').update(Buffer.concat([Buffer.of(0), bytes])).digest());
          assert.deepEqual(leafHash(text), leaf);
          assert.deepEqual(leafHash(bytes), leaf);
        }
      }),
      { numRuns: 200 },
    );
  });
});
