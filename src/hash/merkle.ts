/**
 * Binary SHA-256 Merkle tree over 2^depth leaves, with multi-openings that send each needed
 * sibling once.
 *
 *   leaf_i = SHA256(0x00 ‖ bytes_i),   node = SHA256(0x01 ‖ left ‖ right)   (PROTOCOL-NOTES §1)
 *
 * Layout: heap order in one flat Uint8Array. Node v (1 ≤ v < 2^(depth+1)) occupies bytes
 * [32v, 32v+32); the root is v = 1, leaf i is v = 2^depth + i, the children of v are 2v and 2v+1
 * (adjacent in memory, so a parent is one hash of 64 contiguous bytes), its sibling is v ^ 1.
 * Bytes [0, 32) are unused. depth = 0 is a single leaf whose hash is the root.
 *
 * Multi-proof, canonical form. Let S_depth = { 2^depth + i : i ∈ indices } (duplicates merged)
 * and S_{l−1} = { ⌊v/2⌋ : v ∈ S_l }. Going up from the leaves, level by level, and within a
 * level by ascending v, the proof lists node v ^ 1 for every v ∈ S_l whose sibling is not in
 * S_l, for l = depth … 1. These are exactly the nodes the verifier cannot compute from the
 * opened leaves, each sent once; the order is a function of the index set alone, so there is
 * one valid proof per (tree, index set) and the verifier can demand its exact length.
 *
 * Soundness: a verifier that accepts has recomputed the root from the opened leaf hashes and
 * the proof nodes along the fixed shape above; producing a different leaf hash at some opened
 * position with the same root yields a SHA-256 collision on the path (domain tags keep leaf and
 * node preimages apart). Repeated indices must carry identical leaf hashes, otherwise the
 * verifier rejects (it would otherwise check only one of them).
 */
import { DIGEST_BYTES, hashLeavesInto, hashNodeAt } from './sha256.js';

/** Largest supported depth: heap indices stay < 2^31, so bit operations on them are exact. */
export const MAX_MERKLE_DEPTH = 30;

/** A built tree: all levels in heap order (see the header). Treat as immutable. */
export interface MerkleTree {
  readonly depth: number;
  /** 32 · 2^(depth+1) bytes; node v at [32v, 32v+32). */
  readonly nodes: Uint8Array;
}

/** Sibling nodes of a multi-opening, 32 bytes each, in the canonical order of the header. */
export interface MerkleMultiProof {
  readonly nodes: Uint8Array;
}

export type MerkleError =
  | { kind: 'BadDepth'; depth: unknown; max: number }
  | { kind: 'EmptyIndexSet' }
  | { kind: 'BadIndex'; position: number; index: unknown; size: number }
  | { kind: 'LeafHashesLength'; expected: number; actual: number }
  | { kind: 'InconsistentDuplicate'; index: number }
  | { kind: 'MalformedProof'; reason: string }
  | { kind: 'ProofLength'; expectedNodes: number; actualNodes: number }
  | { kind: 'RootMismatch' };

export type MerkleResult = { ok: true } | { ok: false; error: MerkleError };

function fail(error: MerkleError): MerkleResult {
  return { ok: false, error };
}

function checkDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 0 || depth > MAX_MERKLE_DEPTH) {
    throw new Error(`expected depth an integer in [0, ${MAX_MERKLE_DEPTH}], got ${depth}`);
  }
}

function log2Exact(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 2 ** MAX_MERKLE_DEPTH || (n & (n - 1)) !== 0) {
    throw new Error(`expected a power-of-two leaf count ≤ 2^${MAX_MERKLE_DEPTH}, got ${n}`);
  }
  return 31 - Math.clz32(n);
}

/** Fill the inner nodes of a tree whose leaf level is already in place. */
function buildInner(nodes: Uint8Array, depth: number): void {
  for (let l = depth - 1; l >= 0; l--) {
    const lo = 1 << l;
    const hi = lo << 1;
    for (let v = lo; v < hi; v++) hashNodeAt(nodes, DIGEST_BYTES * v, nodes, DIGEST_BYTES * 2 * v);
  }
}

/** Build a tree from concatenated leaf hashes (32 bytes each, a power-of-two count). Copies. */
export function buildMerkleTree(leafHashes: Uint8Array): MerkleTree {
  if (leafHashes.length % DIGEST_BYTES !== 0) {
    throw new Error(`expected a multiple of ${DIGEST_BYTES} bytes of leaf hashes, got ${leafHashes.length}`);
  }
  const n = leafHashes.length / DIGEST_BYTES;
  const depth = log2Exact(n);
  const nodes = new Uint8Array(DIGEST_BYTES * 2 * n);
  nodes.set(leafHashes, DIGEST_BYTES * n);
  buildInner(nodes, depth);
  return { depth, nodes };
}

/**
 * Hash n = data.length / leafSize leaves (leaf_i = SHA256(0x00 ‖ data[i·leafSize, …))) straight
 * into the leaf level and build the tree: the usual commit path, no intermediate copy.
 */
export function buildMerkleTreeFromLeaves(data: Uint8Array, leafSize: number): MerkleTree {
  if (!Number.isInteger(leafSize) || leafSize <= 0 || data.length % leafSize !== 0) {
    throw new Error(`expected data length a multiple of leafSize ${leafSize}, got ${data.length}`);
  }
  const n = data.length / leafSize;
  const depth = log2Exact(n);
  const nodes = new Uint8Array(DIGEST_BYTES * 2 * n);
  hashLeavesInto(nodes.subarray(DIGEST_BYTES * n), data, leafSize);
  buildInner(nodes, depth);
  return { depth, nodes };
}

/** The root (a fresh copy). */
export function merkleRoot(tree: MerkleTree): Uint8Array {
  return tree.nodes.slice(DIGEST_BYTES, 2 * DIGEST_BYTES);
}

/** Leaf hash i (a view into the tree; do not mutate). */
export function merkleLeafHash(tree: MerkleTree, i: number): Uint8Array {
  const v = (1 << tree.depth) + i;
  return tree.nodes.subarray(DIGEST_BYTES * v, DIGEST_BYTES * (v + 1));
}

/** Sorted distinct heap positions 2^depth + i. Inputs already validated. */
function leafPositions(depth: number, indices: ArrayLike<number>): Int32Array {
  const pos = new Int32Array(indices.length);
  const base = 1 << depth;
  for (let k = 0; k < indices.length; k++) pos[k] = base + indices[k];
  pos.sort();
  let m = 0;
  for (let k = 0; k < pos.length; k++) if (m === 0 || pos[k] !== pos[m - 1]) pos[m++] = pos[k];
  return pos.subarray(0, m);
}

/**
 * Walk the canonical shape from sorted distinct positions `cur` (consumed, reused as scratch).
 * Calls `sibling(v ^ 1)` for each proof node in canonical order; returns the proof node count.
 */
function walkShape(cur: Int32Array, depth: number, sibling: ((v: number) => void) | null): number {
  let m = cur.length;
  let count = 0;
  for (let l = depth; l >= 1; l--) {
    let out = 0;
    for (let k = 0; k < m; k++) {
      const v = cur[k];
      if ((v & 1) === 0 && k + 1 < m && cur[k + 1] === v + 1) {
        k++; // both children known
      } else {
        count++;
        if (sibling) sibling(v ^ 1);
      }
      cur[out++] = v >> 1;
    }
    m = out;
  }
  return count;
}

/**
 * Multi-opening for `indices` (any order, repeats allowed; each < 2^depth). The proof holds
 * only the siblings the verifier cannot compute, in canonical order (see the header).
 */
export function merkleOpen(tree: MerkleTree, indices: ArrayLike<number>): MerkleMultiProof {
  const size = 2 ** tree.depth;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= size) {
      throw new Error(`expected index in [0, ${size}), got ${i} at position ${k}`);
    }
  }
  const pos = leafPositions(tree.depth, indices);
  const count = walkShape(pos.slice(), tree.depth, null);
  const out = new Uint8Array(DIGEST_BYTES * count);
  let o = 0;
  const src = tree.nodes;
  walkShape(pos, tree.depth, (s) => {
    out.set(src.subarray(DIGEST_BYTES * s, DIGEST_BYTES * (s + 1)), o);
    o += DIGEST_BYTES;
  });
  return { nodes: out };
}

/**
 * Number of proof nodes a multi-opening of `indices` needs in a tree of the given depth (the
 * exact length the verifier demands). Indices must be valid.
 */
export function merkleProofSize(depth: number, indices: ArrayLike<number>): number {
  checkDepth(depth);
  return walkShape(leafPositions(depth, indices), depth, null);
}

function bytesEqual(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

/**
 * Verify a multi-opening: `leafHashes` holds 32 bytes per entry of `indices`, same order.
 * Stateless; never throws on hostile input. Checks, in order: depth, index range, lengths,
 * consistency of repeated indices, exact proof length, and finally the recomputed root.
 */
export function merkleVerifyMulti(
  root: Uint8Array,
  depth: number,
  indices: ArrayLike<number>,
  leafHashes: Uint8Array,
  proof: MerkleMultiProof,
): MerkleResult {
  if (!Number.isInteger(depth) || depth < 0 || depth > MAX_MERKLE_DEPTH) {
    return fail({ kind: 'BadDepth', depth, max: MAX_MERKLE_DEPTH });
  }
  if (!(root instanceof Uint8Array) || root.length !== DIGEST_BYTES) {
    return fail({ kind: 'MalformedProof', reason: 'root must be 32 bytes' });
  }
  if (indices == null || typeof indices.length !== 'number') {
    return fail({ kind: 'MalformedProof', reason: 'indices must be array-like' });
  }
  const t = indices.length;
  if (t === 0) return fail({ kind: 'EmptyIndexSet' });
  const size = 2 ** depth;
  for (let k = 0; k < t; k++) {
    const i = indices[k];
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= size) {
      return fail({ kind: 'BadIndex', position: k, index: i, size });
    }
  }
  if (!(leafHashes instanceof Uint8Array) || leafHashes.length !== DIGEST_BYTES * t) {
    return fail({
      kind: 'LeafHashesLength',
      expected: DIGEST_BYTES * t,
      actual: leafHashes instanceof Uint8Array ? leafHashes.length : -1,
    });
  }
  const pnodes = proof?.nodes;
  if (!(pnodes instanceof Uint8Array) || pnodes.length % DIGEST_BYTES !== 0) {
    return fail({ kind: 'MalformedProof', reason: 'proof nodes must be a multiple of 32 bytes' });
  }

  // Sort (position, entry) pairs by position; merge duplicates, demanding equal hashes.
  const base = 1 << depth;
  const order = new Int32Array(t);
  for (let k = 0; k < t; k++) order[k] = k;
  order.sort((a, b) => indices[a] - indices[b] || a - b);
  const pos = new Int32Array(t);
  const hashes = new Uint8Array(DIGEST_BYTES * t);
  let m = 0;
  for (let k = 0; k < t; k++) {
    const e = order[k];
    const v = base + indices[e];
    if (m > 0 && pos[m - 1] === v) {
      if (!bytesEqual(hashes, DIGEST_BYTES * (m - 1), leafHashes, DIGEST_BYTES * e, DIGEST_BYTES)) {
        return fail({ kind: 'InconsistentDuplicate', index: indices[e] });
      }
      continue;
    }
    pos[m] = v;
    hashes.set(leafHashes.subarray(DIGEST_BYTES * e, DIGEST_BYTES * (e + 1)), DIGEST_BYTES * m);
    m++;
  }

  const need = walkShape(pos.slice(0, m), depth, null);
  const have = pnodes.length / DIGEST_BYTES;
  if (need !== have) return fail({ kind: 'ProofLength', expectedNodes: need, actualNodes: have });

  // Recompute upwards in place: entry k of level l is (pos[k], hashes[32k..]); parents are
  // written at out ≤ k, so reading k and k+1 before writing out is safe.
  const pair = new Uint8Array(2 * DIGEST_BYTES); // left ‖ right of the node being computed
  let cursor = 0;
  for (let l = depth; l >= 1; l--) {
    let out = 0;
    for (let k = 0; k < m; k++) {
      const v = pos[k];
      if ((v & 1) === 0 && k + 1 < m && pos[k + 1] === v + 1) {
        pair.set(hashes.subarray(DIGEST_BYTES * k, DIGEST_BYTES * (k + 2)), 0);
        k++;
      } else if ((v & 1) === 0) {
        pair.set(hashes.subarray(DIGEST_BYTES * k, DIGEST_BYTES * (k + 1)), 0);
        pair.set(pnodes.subarray(cursor, cursor + DIGEST_BYTES), DIGEST_BYTES);
        cursor += DIGEST_BYTES;
      } else {
        pair.set(pnodes.subarray(cursor, cursor + DIGEST_BYTES), 0);
        pair.set(hashes.subarray(DIGEST_BYTES * k, DIGEST_BYTES * (k + 1)), DIGEST_BYTES);
        cursor += DIGEST_BYTES;
      }
      hashNodeAt(hashes, DIGEST_BYTES * out, pair, 0);
      pos[out++] = v >> 1;
    }
    m = out;
  }
  // Now m = 1 and pos[0] = 1: hashes[0..32) is the recomputed root.
  if (!bytesEqual(hashes, 0, root, 0, DIGEST_BYTES)) return fail({ kind: 'RootMismatch' });
  return { ok: true };
}

/** Single-path opening: the multi-proof of one index, i.e. the depth siblings bottom-up. */
export function merkleOpenPath(tree: MerkleTree, index: number): MerkleMultiProof {
  return merkleOpen(tree, [index]);
}

/** Verify a single path (the one-index case of `merkleVerifyMulti`). */
export function merkleVerifyPath(
  root: Uint8Array,
  depth: number,
  index: number,
  leafHash: Uint8Array,
  proof: MerkleMultiProof,
): MerkleResult {
  return merkleVerifyMulti(root, depth, [index], leafHash, proof);
}

// ---------------------------------------------------------------------------------------------
// Serialization: LE32(node count) ‖ nodes.

/** Bytes of LE32(count) ‖ nodes. */
export function serializeMultiProof(proof: MerkleMultiProof): Uint8Array {
  const n = proof.nodes.length / DIGEST_BYTES;
  const out = new Uint8Array(4 + proof.nodes.length);
  new DataView(out.buffer).setUint32(0, n, true);
  out.set(proof.nodes, 4);
  return out;
}

export type DecodeResult =
  | { ok: true; proof: MerkleMultiProof; bytesRead: number }
  | { ok: false; error: { kind: 'Truncated'; needed: number; available: number } };

/**
 * Decode a proof at `offset`. Never throws; allocates at most what the input holds (the count
 * is checked against the remaining bytes before anything is copied).
 */
export function deserializeMultiProof(bytes: Uint8Array, offset = 0): DecodeResult {
  const available = bytes instanceof Uint8Array && Number.isInteger(offset) && offset >= 0
    ? Math.max(0, bytes.length - offset)
    : 0;
  if (available < 4) return { ok: false, error: { kind: 'Truncated', needed: 4, available } };
  const n =
    (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
  const needed = 4 + DIGEST_BYTES * n;
  if (available < needed) return { ok: false, error: { kind: 'Truncated', needed, available } };
  const nodes = bytes.slice(offset + 4, offset + needed);
  return { ok: true, proof: { nodes }, bytesRead: needed };
}
