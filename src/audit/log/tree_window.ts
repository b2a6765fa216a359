/**
 * The part of the Merkle tree a log needs to prove consistency to its witnesses: the frontier at `base` (the
 * smallest size a witness is known to have cosigned) and every leaf since. A consistency proof from m ≥ base to
 * n uses only frontier nodes of m (computable from the frontier at base plus leaves) and subtrees of [m, n), so
 * the window never needs the whole log in memory. A witness behind `base` is caught up from the log on disk.
 */
import { CompactRange, nodeHash } from './merkle.ts';

/** Largest power of two strictly below n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export class TreeWindow {
  private base: number;
  private frontier: Buffer[];
  private leaves: Buffer[] = [];

  /** A window starting at `range` (its size and frontier are copied). */
  constructor(range: { size: number; hashes: Buffer[] }) {
    this.base = range.size;
    this.frontier = [...range.hashes];
  }

  get start(): number {
    return this.base;
  }

  get size(): number {
    return this.base + this.leaves.length;
  }

  append(leaf: Buffer): void {
    this.leaves.push(leaf);
  }

  /** RFC 6962 PROOF(m, D[n]); undefined when m is before the window (the caller rebuilds from disk). */
  consistencyProof(m: number, n: number): Buffer[] | undefined {
    if (m > n || n > this.size) throw new RangeError(`no consistency proof from ${m} to ${n} in a tree of ${this.size}`);
    if (m === 0 || m === n) return [];
    if (m < this.base) return undefined;
    const frontierOfM = this.frontierAt(m);
    const hashOf = (from: number, to: number): Buffer => {
      if (to <= m) {
        const node = frontierOfM.get(from);
        if (node === undefined || node.to !== to) throw new Error(`node [${from}, ${to}) is not on the frontier of ${m}`);
        return node.hash;
      }
      return this.leafRange(from, to);
    };
    const proof: Buffer[] = [];
    const sub = (mm: number, from: number, nn: number, complete: boolean): void => {
      if (mm === nn) {
        if (!complete) proof.push(hashOf(from, from + nn));
        return;
      }
      const k = splitPoint(nn);
      if (mm <= k) {
        sub(mm, from, k, complete);
        proof.push(hashOf(from + k, from + nn));
      } else {
        sub(mm - k, from + k, nn - k, false);
        proof.push(hashOf(from, from + k));
      }
    };
    sub(m, 0, n, true);
    return proof;
  }

  /** Forgets everything before `size` (every witness has cosigned at least that much). */
  advance(size: number): void {
    if (size <= this.base) return;
    const range = new CompactRange(this.base, this.frontier);
    for (const leaf of this.leaves.slice(0, size - this.base)) range.append(leaf);
    this.leaves = this.leaves.slice(size - this.base);
    this.base = size;
    this.frontier = range.hashes;
  }

  /** Restarts the window at an earlier size, from the log's leaves read back from disk: `leaves` are [size, this.start). */
  rewind(range: { size: number; hashes: Buffer[] }, leaves: Buffer[]): void {
    if (range.size + leaves.length !== this.base) throw new Error('rewind does not end where the window starts');
    this.leaves = [...leaves, ...this.leaves];
    this.base = range.size;
    this.frontier = [...range.hashes];
  }

  /** The frontier nodes of the tree of size m, by start index. */
  private frontierAt(m: number): Map<number, { to: number; hash: Buffer }> {
    const range = new CompactRange(this.base, this.frontier);
    for (const leaf of this.leaves.slice(0, m - this.base)) range.append(leaf);
    const nodes = new Map<number, { to: number; hash: Buffer }>();
    let from = 0;
    let i = 0;
    for (let bit = 2 ** Math.floor(Math.log2(m)); bit >= 1; bit /= 2) {
      if (m - from >= bit) {
        nodes.set(from, { to: from + bit, hash: range.hashes[i++]! });
        from += bit;
      }
    }
    return nodes;
  }

  /** MTH of leaves [from, to), all inside the window's leaves. */
  private leafRange(from: number, to: number): Buffer {
    if (from < this.base) throw new Error(`leaf ${from} is before the window`);
    const n = to - from;
    if (n === 1) return this.leaves[from - this.base]!;
    const k = splitPoint(n);
    return nodeHash(this.leafRange(from, from + k), this.leafRange(from + k, to));
  }
}
