/**
 * Merkle tree: golden roots (format pin), multi-open round trips, and one rejection test per
 * attack on the verifier (all as error values, never a throw).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildMerkleTree,
  buildMerkleTreeFromLeaves,
  merkleRoot,
  merkleLeafHash,
  merkleOpen,
  merkleOpenPath,
  merkleVerifyMulti,
  merkleVerifyPath,
  merkleProofSize,
  serializeMultiProof,
  deserializeMultiProof,
  hashLeaf,
  hashNode,
  useSha256Backend,
  NATIVE_SHA256_AVAILABLE,
  type MerkleTree,
  type MerkleResult,
} from '../../src/hash/index.js';
import { randomBytes, rng } from '../support/random.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');


function randomTree(r: () => number, depth: number, leafSize = 24): { tree: MerkleTree; data: Uint8Array } {
  const data = randomBytes(r, leafSize << depth);
  return { tree: buildMerkleTreeFromLeaves(data, leafSize), data };
}

/** Leaf hashes for `indices`, concatenated in the same order. */
function leavesFor(tree: MerkleTree, indices: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(32 * indices.length);
  for (let k = 0; k < indices.length; k++) out.set(merkleLeafHash(tree, indices[k]), 32 * k);
  return out;
}

function assertReject(res: MerkleResult, kind: string): void {
  assert.equal(res.ok, false, `expected rejection ${kind}`);
  if (!res.ok) assert.equal(res.error.kind, kind);
}

test('golden root: 8 variable-length leaves [i]*(i+1)', () => {
  const hashes = new Uint8Array(32 * 8);
  for (let i = 0; i < 8; i++) hashes.set(hashLeaf(new Uint8Array(i + 1).fill(i)), 32 * i);
  const tree = buildMerkleTree(hashes);
  assert.equal(tree.depth, 3);
  assert.equal(hex(merkleRoot(tree)), '0fea274e6bacdb35de214d2f3fe69d083ace91c36a23087a5a7a6eced4088f8c');
});

test('golden root: 4 leaves of 4 bytes 00..0f, both backends', () => {
  const kinds = NATIVE_SHA256_AVAILABLE ? (['native', 'portable'] as const) : (['portable'] as const);
  for (const kind of kinds) {
    const prev = useSha256Backend(kind);
    try {
      const data = Uint8Array.from({ length: 16 }, (_, i) => i);
      const tree = buildMerkleTreeFromLeaves(data, 4);
      assert.equal(hex(merkleRoot(tree)), '516c43cb9e4f82fe70437703f0a41649c5fd963ba5f4be8b736dca20bae05bdd');
    } finally {
      useSha256Backend(prev);
    }
  }
});

test('depth 0: the root is the leaf hash; empty proof', () => {
  const leaf = new TextEncoder().encode('zkinfer');
  const tree = buildMerkleTreeFromLeaves(leaf, leaf.length);
  assert.equal(tree.depth, 0);
  assert.equal(hex(merkleRoot(tree)), 'da8567832de5da7cbffaf1df80d04ca07b3c7c349ab69da3d06c075c61e01399');
  const proof = merkleOpen(tree, [0, 0]);
  assert.equal(proof.nodes.length, 0);
  assert.deepEqual(merkleVerifyMulti(merkleRoot(tree), 0, [0, 0], leavesFor(tree, [0, 0]), proof), { ok: true });
  assertReject(merkleVerifyMulti(merkleRoot(tree), 0, [1], leavesFor(tree, [0]), proof), 'BadIndex');
});

test('tree structure: root = hashNode of the two subtrees; buildMerkleTree ≡ FromLeaves', () => {
  const r = rng(5);
  const { tree, data } = randomTree(r, 4, 10);
  const leafHashes = tree.nodes.slice(32 * 16, 32 * 32);
  for (let i = 0; i < 16; i++) assert.deepEqual(merkleLeafHash(tree, i), hashLeaf(data.subarray(10 * i, 10 * i + 10)));
  assert.deepEqual(buildMerkleTree(leafHashes).nodes, tree.nodes);
  const left = buildMerkleTree(leafHashes.subarray(0, 32 * 8));
  const right = buildMerkleTree(leafHashes.subarray(32 * 8));
  assert.deepEqual(merkleRoot(tree), hashNode(merkleRoot(left), merkleRoot(right)));
  assert.throws(() => buildMerkleTree(new Uint8Array(32 * 3)), /power-of-two/);
  assert.throws(() => buildMerkleTree(new Uint8Array(31)), /multiple of 32/);
});

test('single path: depth siblings, round trip, bottom-up order', () => {
  const r = rng(6);
  const { tree } = randomTree(r, 5);
  const root = merkleRoot(tree);
  for (let i = 0; i < 32; i++) {
    const p = merkleOpenPath(tree, i);
    assert.equal(p.nodes.length, 32 * 5);
    // first node is the leaf's sibling
    assert.deepEqual(p.nodes.subarray(0, 32), merkleLeafHash(tree, i ^ 1));
    assert.deepEqual(merkleVerifyPath(root, 5, i, merkleLeafHash(tree, i), p), { ok: true });
    assertReject(merkleVerifyPath(root, 5, i ^ 1, merkleLeafHash(tree, i), p), 'RootMismatch');
  }
});

test('multi-open round trips: random index sets with repeats, unsorted, and all indices', () => {
  const r = rng(7);
  for (const depth of [1, 2, 3, 6, 9]) {
    const { tree } = randomTree(r, depth);
    const root = merkleRoot(tree);
    const size = 1 << depth;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: size - 1 }), { minLength: 1, maxLength: 3 * size }), (indices) => {
        const proof = merkleOpen(tree, indices);
        assert.equal(proof.nodes.length, 32 * merkleProofSize(depth, indices));
        const res = merkleVerifyMulti(root, depth, indices, leavesFor(tree, indices), proof);
        assert.deepEqual(res, { ok: true });
        // the proof depends only on the index set
        const sorted = [...new Set(indices)].sort((a, b) => a - b);
        assert.deepEqual(merkleOpen(tree, sorted).nodes, proof.nodes);
      }),
      { numRuns: 60, seed: depth },
    );
    const all = Array.from({ length: size }, (_, i) => size - 1 - i);
    const proof = merkleOpen(tree, all);
    assert.equal(proof.nodes.length, 0, 'opening every leaf needs no sibling');
    assert.deepEqual(merkleVerifyMulti(root, depth, all, leavesFor(tree, all), proof), { ok: true });
  }
});

test('multi-proof for many indices is smaller than the sum of single paths', () => {
  const r = rng(8);
  const depth = 12;
  const { tree } = randomTree(r, depth, 8);
  const indices = Array.from({ length: 241 }, () => Math.floor(r() * (1 << depth)));
  const multi = merkleOpen(tree, indices).nodes.length;
  const single = indices.length * 32 * depth;
  assert.ok(multi < single * 0.8, `multi ${multi} vs singles ${single}`);
});

test('rejections: every tampering is an error value, never a throw', () => {
  const r = rng(9);
  const depth = 6;
  const { tree } = randomTree(r, depth);
  const root = merkleRoot(tree);
  const indices = [5, 17, 5, 40, 63, 0, 41];
  const leaves = leavesFor(tree, indices);
  const proof = merkleOpen(tree, indices);
  const n = proof.nodes.length / 32;
  assert.ok(n > 2);
  assert.deepEqual(merkleVerifyMulti(root, depth, indices, leaves, proof), { ok: true });

  // changed leaf (every position, one bit)
  for (let k = 0; k < indices.length; k++) {
    const bad = leaves.slice();
    bad[32 * k + (k % 32)] ^= 1;
    const res = merkleVerifyMulti(root, depth, indices, bad, proof);
    // index 5 appears twice: changing one copy is caught as an inconsistent duplicate
    assertReject(res, indices.indexOf(indices[k]) !== indices.lastIndexOf(indices[k]) ? 'InconsistentDuplicate' : 'RootMismatch');
  }
  // both copies of the duplicate changed consistently: root mismatch
  {
    const bad = leaves.slice();
    bad[0] ^= 1;
    bad[64] ^= 1;
    assertReject(merkleVerifyMulti(root, depth, indices, bad, proof), 'RootMismatch');
  }
  // changed proof node (each one)
  for (let j = 0; j < n; j++) {
    const bad = proof.nodes.slice();
    bad[32 * j + 7] ^= 0x80;
    assertReject(merkleVerifyMulti(root, depth, indices, leaves, { nodes: bad }), 'RootMismatch');
  }
  // swapped proof nodes
  {
    const bad = proof.nodes.slice();
    bad.set(proof.nodes.subarray(0, 32), 32);
    bad.set(proof.nodes.subarray(32, 64), 0);
    assertReject(merkleVerifyMulti(root, depth, indices, leaves, { nodes: bad }), 'RootMismatch');
  }
  // wrong index (same leaves, one index moved)
  {
    const wrong = indices.slice();
    wrong[1] = 18;
    const res = merkleVerifyMulti(root, depth, wrong, leaves, proof);
    assert.equal(res.ok, false);
  }
  {
    const wrong = indices.slice();
    wrong[3] = 41; // 40 → 41: 41 is already opened with another leaf
    assertReject(merkleVerifyMulti(root, depth, wrong, leaves, proof), 'InconsistentDuplicate');
  }
  {
    const wrong = [4, 17, 4, 40, 63, 0, 41]; // 5 → 4: siblings swap roles, same proof length
    assertReject(merkleVerifyMulti(root, depth, wrong, leaves, proof), 'RootMismatch');
  }
  // extra node, missing node
  {
    const extra = new Uint8Array(proof.nodes.length + 32);
    extra.set(proof.nodes);
    assertReject(merkleVerifyMulti(root, depth, indices, leaves, { nodes: extra }), 'ProofLength');
    assertReject(merkleVerifyMulti(root, depth, indices, leaves, { nodes: proof.nodes.slice(32) }), 'ProofLength');
    assertReject(merkleVerifyMulti(root, depth, indices, leaves, { nodes: proof.nodes.slice(0, -32) }), 'ProofLength');
    assertReject(merkleVerifyMulti(root, depth, indices, leaves, { nodes: proof.nodes.slice(1) }), 'MalformedProof');
  }
  // index ≥ 2^depth, negative, fractional, NaN
  for (const badIndex of [64, 1 << 20, -1, 2.5, NaN]) {
    const wrong = indices.slice();
    wrong[2] = badIndex;
    assertReject(merkleVerifyMulti(root, depth, wrong, leaves, proof), 'BadIndex');
  }
  // duplicate index carrying a different leaf
  {
    const dup = [5, 5];
    const bad = leavesFor(tree, [5, 6]);
    assertReject(merkleVerifyMulti(root, depth, dup, bad, merkleOpen(tree, [5])), 'InconsistentDuplicate');
  }
  // proof against another root
  {
    const other = randomTree(r, depth).tree;
    assertReject(merkleVerifyMulti(merkleRoot(other), depth, indices, leaves, proof), 'RootMismatch');
  }
  // wrong depth
  assertReject(merkleVerifyMulti(root, depth - 1, [5], leavesFor(tree, [5]), merkleOpen(tree, [5])), 'ProofLength');
  assertReject(merkleVerifyMulti(root, 31, indices, leaves, proof), 'BadDepth');
  assertReject(merkleVerifyMulti(root, -1, indices, leaves, proof), 'BadDepth');
  // leaf-hash count mismatch; empty index set
  assertReject(merkleVerifyMulti(root, depth, indices, leaves.subarray(32), proof), 'LeafHashesLength');
  assertReject(merkleVerifyMulti(root, depth, [], new Uint8Array(0), { nodes: new Uint8Array(0) }), 'EmptyIndexSet');
  // hostile shapes
  const anyProof = { nodes: 'x' } as unknown as { nodes: Uint8Array };
  assertReject(merkleVerifyMulti(root, depth, indices, leaves, anyProof), 'MalformedProof');
  assertReject(merkleVerifyMulti(root, depth, indices, leaves, null as unknown as { nodes: Uint8Array }), 'MalformedProof');
  assertReject(merkleVerifyMulti(root.subarray(1), depth, indices, leaves, proof), 'MalformedProof');
});

test('serialization: round trip, truncation, random bytes never throw', () => {
  const r = rng(10);
  const depth = 7;
  const { tree } = randomTree(r, depth);
  const root = merkleRoot(tree);
  const indices = [3, 100, 3, 77, 127];
  const leaves = leavesFor(tree, indices);
  const proof = merkleOpen(tree, indices);
  const bytes = serializeMultiProof(proof);
  assert.equal(bytes.length, 4 + proof.nodes.length);
  const framed = new Uint8Array(bytes.length + 3);
  framed.set(bytes, 2);
  const dec = deserializeMultiProof(framed, 2);
  assert.ok(dec.ok);
  if (dec.ok) {
    assert.equal(dec.bytesRead, bytes.length);
    assert.deepEqual(dec.proof.nodes, proof.nodes);
    assert.deepEqual(merkleVerifyMulti(root, depth, indices, leaves, dec.proof), { ok: true });
  }
  for (let cut = 0; cut < bytes.length; cut += 7) {
    const d = deserializeMultiProof(bytes.subarray(0, cut));
    assert.equal(d.ok, false);
    if (!d.ok) assert.equal(d.error.kind, 'Truncated');
  }
  // a huge count is refused before any allocation
  const huge = new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
  assert.equal(deserializeMultiProof(huge).ok, false);
  assert.equal(deserializeMultiProof(bytes, -1).ok, false);
  assert.equal(deserializeMultiProof(bytes, bytes.length + 10).ok, false);
  // random bytes: decoding and verifying never throw and never accept
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (junk) => {
      const d = deserializeMultiProof(junk);
      const p = d.ok ? d.proof : { nodes: junk };
      const res = merkleVerifyMulti(root, depth, indices, leaves, p);
      assert.equal(res.ok, false);
    }),
    { numRuns: 300, seed: 11 },
  );
  // a random proof of exactly the right length is rejected at the root
  const fake = { nodes: randomBytes(r, proof.nodes.length) };
  assertReject(merkleVerifyMulti(root, depth, indices, leaves, fake), 'RootMismatch');
});

test('merkleOpen refuses invalid indices (prover-side bug)', () => {
  const { tree } = randomTree(rng(12), 3);
  assert.throws(() => merkleOpen(tree, [8]), /expected index in \[0, 8\), got 8/);
  assert.throws(() => merkleOpen(tree, [-1]), /expected index/);
});
