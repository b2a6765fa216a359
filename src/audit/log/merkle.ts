/**
 * RFC 6962 Merkle tree: leaf = SHA-256(0x00 ‖ line), node = SHA-256(0x01 ‖ left ‖ right). Proof generation
 * follows RFC 6962 §2.1.1/§2.1.2 (PATH and SUBPROOF); verification follows RFC 9162 §2.1.3.2 and §2.1.4.2.
 * Sizes are plain numbers (a log will not reach 2^53 events), so bit operations are written as arithmetic.
 */
import { createHash, hash } from 'node:crypto';

export const EMPTY_ROOT = createHash('sha256').digest();

const LEAF_PREFIX = Buffer.of(0);
const NODE_PREFIX = Buffer.of(1);

// One-shot crypto.hash over one buffer: a Hash object per leaf and node dominated verification time.

// One scratch buffer holds 0x00 ‖ line: a line is encoded once, with no allocation, for its leaf hash and, in
// verification, its chain hash too.
let lineInput = Buffer.alloc(4096);

/** Writes 0x00 ‖ UTF-8 of `line` into the scratch buffer; returns the line's byte length. */
function encodeLine(line: string): number {
  // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
  if (lineInput.length < line.length * 3 + 1) lineInput = Buffer.alloc(line.length * 3 + 1);
  lineInput[0] = 0x00;
  return lineInput.write(line, 1, 'utf8');
}

/** Hash of a leaf (an audit line's UTF-8 bytes, without newline). */
export function leafHash(data: Buffer | string): Buffer {
  if (typeof data === 'string') return hash('sha256', lineInput.subarray(0, encodeLine(data) + 1), 'buffer');
  return hash('sha256', Buffer.concat([LEAF_PREFIX, data], data.length + 1), 'buffer');
}

/**
 * Both hashes of an audit line from one encoding: `chain`, the hex SHA-256 of its bytes that the next line
 * records as `prev`, and `leaf`, its Merkle leaf hash. Verification needs both for every line.
 */
export function lineAndLeafHash(line: string): { chain: string; leaf: Buffer } {
  const length = encodeLine(line);
  return { chain: hash('sha256', lineInput.subarray(1, length + 1), 'hex'), leaf: hash('sha256', lineInput.subarray(0, length + 1), 'buffer') };
}

// Interior nodes are always 0x01 ‖ 32 bytes ‖ 32 bytes: one scratch buffer instead of a concatenation per node
// (replaying the tree computes about one node per leaf, and verification replays every log).
const NODE_INPUT = Buffer.alloc(65);

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  if (left.length !== 32 || right.length !== 32) {
    return hash('sha256', Buffer.concat([NODE_PREFIX, left, right], 1 + left.length + right.length), 'buffer');
  }
  NODE_INPUT[0] = 0x01;
  left.copy(NODE_INPUT, 1);
  right.copy(NODE_INPUT, 33);
  return hash('sha256', NODE_INPUT, 'buffer');
}

/** Largest power of two strictly below n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The right frontier of a growing tree (its perfect subtrees, largest first): O(log n) hashes give the root at the
 * current size. The trail keeps one to sign checkpoints; an export ships the frontier of the events before its range.
 */
export class CompactRange {
  size: number;
  /** Roots of the perfect subtrees covering [0, size), largest first. */
  readonly hashes: Buffer[];

  constructor(size = 0, hashes: Buffer[] = []) {
    this.size = size;
    this.hashes = [...hashes];
  }

  append(leaf: Buffer): void {
    let hash = leaf;
    // Each trailing 1 bit of the old size is a perfect subtree that the new leaf completes.
    for (let s = this.size; s % 2 === 1; s = Math.floor(s / 2)) hash = nodeHash(this.hashes.pop()!, hash);
    this.hashes.push(hash);
    this.size++;
  }

  root(): Buffer {
    if (this.hashes.length === 0) return EMPTY_ROOT;
    let root = this.hashes[this.hashes.length - 1]!;
    for (let i = this.hashes.length - 2; i >= 0; i--) root = nodeHash(this.hashes[i]!, root);
    return root;
  }
}

/** A whole tree in memory (all perfect-subtree levels), for proofs over an exported log. */
export class MerkleTree {
  private readonly levels: Buffer[][];

  constructor(leaves: Buffer[]) {
    this.levels = [leaves];
    for (let level = leaves; level.length > 1; ) {
      const up: Buffer[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) up.push(nodeHash(level[i]!, level[i + 1]!));
      this.levels.push(up);
      level = up;
    }
  }

  get size(): number {
    return this.levels[0]!.length;
  }

  /** Root of the tree of the first `size` leaves. */
  root(size = this.size): Buffer {
    return size === 0 ? EMPTY_ROOT : this.rangeHash(0, size);
  }

  /** Audit path of leaf `index` in the tree of the first `size` leaves (RFC 6962 PATH). */
  inclusionProof(index: number, size: number): Buffer[] {
    if (index < 0 || index >= size || size > this.size) throw new RangeError(`no leaf ${index} in a tree of ${size}`);
    const path: Buffer[] = [];
    const walk = (m: number, from: number, n: number): void => {
      if (n === 1) return;
      const k = splitPoint(n);
      if (m < k) {
        walk(m, from, k);
        path.push(this.rangeHash(from + k, from + n));
      } else {
        walk(m - k, from + k, n - k);
        path.push(this.rangeHash(from, from + k));
      }
    };
    walk(index, 0, size);
    return path;
  }

  /** Proof that the tree of size `m` is a prefix of the tree of size `n` (RFC 6962 PROOF). */
  consistencyProof(m: number, n: number): Buffer[] {
    if (m < 0 || m > n || n > this.size) throw new RangeError(`no consistency proof from ${m} to ${n}`);
    if (m === 0 || m === n) return [];
    const proof: Buffer[] = [];
    const sub = (mm: number, from: number, nn: number, complete: boolean): void => {
      if (mm === nn) {
        if (!complete) proof.push(this.rangeHash(from, from + nn));
        return;
      }
      const k = splitPoint(nn);
      if (mm <= k) {
        sub(mm, from, k, complete);
        proof.push(this.rangeHash(from + k, from + nn));
      } else {
        sub(mm - k, from + k, nn - k, false);
        proof.push(this.rangeHash(from, from + k));
      }
    };
    sub(m, 0, n, true);
    return proof;
  }

  /** MTH of leaves [from, to), where `from` is aligned to the largest power of two that fits. */
  rangeHash(from: number, to: number): Buffer {
    const n = to - from;
    if ((n & (n - 1)) === 0 && n <= 2 ** 30) {
      const level = Math.log2(n);
      const node = this.levels[level]?.[from / n];
      if (node !== undefined) return node;
    }
    const k = splitPoint(n);
    return nodeHash(this.rangeHash(from, from + k), this.rangeHash(from + k, to));
  }
}

/** RFC 9162 §2.1.3.2: does `proof` place `leaf` at `index` in the tree of `size` with `root`? */
export function verifyInclusion(index: number, size: number, leaf: Buffer, proof: Buffer[], root: Buffer): boolean {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2: is the tree (size1, root1) a prefix of (size2, root2)? */
export function verifyConsistency(size1: number, size2: number, root1: Buffer, root2: Buffer, proof: Buffer[]): boolean {
  if (size1 > size2) return false;
  if (size1 === size2) return proof.length === 0 && root1.equals(root2);
  if (size1 === 0) return proof.length === 0;
  const path = (size1 & (size1 - 1)) === 0 && size1 <= 2 ** 30 ? [root1, ...proof] : proof;
  if (path.length === 0) return false;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return fr.equals(root1) && sr.equals(root2) && sn === 0;
}
