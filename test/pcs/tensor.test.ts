import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P } from '../../src/field/babybear.js';
import { ext, extAdd, extInv } from '../../src/field/extension.js';
import { kernels } from '../../src/field/active.js';
import { rsEncodeRows } from '../../src/field/ntt.js';
import { DIGEST_BYTES, hashLeavesInto } from '../../src/hash/sha256.js';
import { buildMerkleTree, merkleOpen, merkleRoot } from '../../src/hash/merkle.js';
import { eqTable } from '../../src/poly/multilinear.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { TensorPcs, tensorColumn, type TensorProof, type TensorProverData } from '../../src/pcs/tensor.js';
import { chooseLayout, chooseQueries, DEFAULT_TENSOR_PCS_CONFIG, PCS_MARGIN_BITS, tensorSecurityBits } from '../../src/pcs/params.js';
import { deserializeOpening, serializeOpening } from '../../src/pcs/codec.js';
import { proveBatchOpening, verifyBatchOpening } from '../../src/pcs/batch.js';
import { testPcs } from './suite.js';
import { Rng } from '../support/random.js';

const pcs = new TensorPcs();
testPcs('tensor PCS', pcs, [0, 1, 4, 10]);
testPcs('tensor PCS (40-bit parameters)', new TensorPcs({ securityBits: 40 }), [3, 7]);

const tr = () => new Transcript('tensor-test');
const rng = new Rng(42);
const n = 14; // C = 2^9 columns, R = 2^5 rows, N = 2^11: every part of the proof is non-trivial
const f = rng.baseVec(1 << n);
const { commitment, data } = pcs.commit(f);
const z = rng.extVec(n);
const { value, proof } = pcs.open(data, z, tr());
const L = commitment.layout;
const C = 1 << L.logCols;
const R = 1 << L.logRows;

function verify(p: TensorProof, y = value, point = z) {
  return pcs.verify(commitment, point, y, p, tr());
}
/**
 * A cheating prover with the honest prover data: it sends the given v and w (and claim y), then
 * follows the real transcript and answers the queries it induces with genuine columns and
 * Merkle paths — so only the column checks stand between it and acceptance.
 */
function cheatWith(v: Uint32Array, w: Uint32Array, y = value): TensorProof {
  const t = tr();
  t.absorbBytes('pcs/root', commitment.root);
  t.absorbNumber('pcs/vars', L.numVars);
  t.absorbExt('pcs/point', z);
  t.absorbExt('pcs/value', y);
  t.challengeExts('pcs/proximity', L.logRows);
  t.absorbExt('pcs/v', v);
  t.absorbExt('pcs/w', w);
  const q = Array.from(new Set(t.challengeIndices('pcs/queries', L.numQueries, C << L.logBlowup))).sort((a, b) => a - b);
  const columns = new Uint32Array(q.length * R);
  q.forEach((j, k) => columns.set(tensorColumn(data, j), k * R));
  return { ...proof, v, w, columns, merkleNodes: merkleOpen(data.tree, q).nodes };
}

test('the cheating-prover harness reproduces the honest proof (so its transcript order is the real one)', () => {
  const p = cheatWith(proof.v, proof.w);
  assert.deepEqual(p.columns, proof.columns);
  assert.deepEqual(p.merkleNodes, proof.merkleNodes);
  assert.ok(verify(p).ok);
});

function clone(p: TensorProof): TensorProof {
  return { ...p, v: p.v.slice(), w: p.w.slice(), columns: p.columns.slice(), merkleNodes: p.merkleNodes.slice() };
}

test('parameters: 100 bits per opening need 241 queries at rate 1/4; the default profile asks 103 (249), recorded in the proof', () => {
  assert.equal(chooseQueries(12, 8, 2, 100), 241);
  assert.ok(tensorSecurityBits(12, 8, 2, 241) >= 100);
  assert.ok(tensorSecurityBits(12, 8, 2, 240) < 100);
  // the composed 100-bit target leaves each of a receipt's two openings 2^-(100+3) (pcs/params.ts)
  assert.equal(DEFAULT_TENSOR_PCS_CONFIG.securityBits, 100 + PCS_MARGIN_BITS);
  assert.equal(PCS_MARGIN_BITS, 3);
  assert.equal(chooseQueries(12, 8, 2, 103), 249);
  assert.ok(tensorSecurityBits(12, 8, 2, 248) < 103);
  assert.equal(proof.numQueries, L.numQueries);
  assert.equal(proof.logBlowup, 2);
  const l20 = chooseLayout(20);
  assert.equal(l20.numQueries, 249);
  assert.ok(l20.logCols + l20.logBlowup <= 18);
  assert.ok(pcs.securityBits(l20) >= 103);
});

test('parameters: a layout whose field term misses the target is skipped, and an all-unreachable target names the cap', () => {
  // 2^30 entries at 103 bits: N = 2^18 (ℓ = 14) has field term 2·14·2^16/|K| = 2^-102.8, so the chooser goes to N = 2^17
  const l30 = chooseLayout(30);
  assert.ok(l30.logCols + l30.logBlowup <= 17);
  assert.ok(tensorSecurityBits(l30.logCols, l30.logRows, 2, l30.numQueries) >= 103);
  assert.throws(() => chooseLayout(20, { ...DEFAULT_TENSOR_PCS_CONFIG, securityBits: 131 }), /131 bits per opening are unreachable .* caps every layout at 117\.\d+ bits/);
});

test('the test layout is non-degenerate', () => {
  assert.ok(C >= 64 && R >= 8 && proof.merkleNodes.length > 0 && proof.columns.length / R < (C << L.logBlowup));
});

test('flipping one entry of v is rejected (with the old or with freshly induced columns)', () => {
  for (const i of [0, 5, 4 * C - 1]) {
    const p = clone(proof);
    p.v[i] = (p.v[i] + 1) % P;
    assert.equal(verify(p).ok, false, `v[${i}]`);
    assert.equal(verify(cheatWith(p.v, p.w)).ok, false, `v[${i}], cheating prover`);
  }
});

test('a false claim y with a v that matches it is rejected by the column checks', () => {
  // Shift v by a multiple of e_0 so that ⟨v, eq(z_lo)⟩ equals y + 1.
  const eqLo = eqTable(z.subarray(0, 4 * L.logCols));
  const K = kernels();
  const y2 = extAdd(value, ext(1));
  const v = proof.v.slice();
  const shift = new Uint32Array(4);
  K.extMul(shift, ext(1), extInv(eqLo.slice(0, 4)));
  v.set(extAdd(v.subarray(0, 4), shift), 0);
  assert.deepEqual(K.extDot(v, eqLo), y2);
  const r = verify(cheatWith(v, proof.w, y2), y2);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.kind, 'ColumnCheckFailed');
});

test('a forged v that keeps ⟨v, eq(z_lo)⟩ = y is rejected by the column checks', () => {
  // v' = v + δ·(e_0·eq_1 − e_1·eq_0): the inner product with eq(z_lo) is unchanged.
  const eqLo = eqTable(z.subarray(0, 4 * L.logCols));
  const K = kernels();
  const p = clone(proof);
  const delta = ext(12345);
  const e0 = eqLo.slice(0, 4);
  const e1 = eqLo.slice(4, 8);
  const add0 = new Uint32Array(4);
  const add1 = new Uint32Array(4);
  K.extMul(add0, delta, e1);
  K.extMul(add1, delta, e0);
  p.v.set(extAdd(p.v.subarray(0, 4), add0), 0);
  p.v.set(extAdd(p.v.subarray(4, 8), Uint32Array.from(add1, (x) => (P - x) % P)), 4);
  assert.deepEqual(K.extDot(p.v, eqLo), value, 'the forgery keeps the evaluation');
  const r = verify(cheatWith(p.v, p.w));
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.kind, 'ColumnCheckFailed');
});

test('flipping one entry of w is rejected (proximity test)', () => {
  const w = proof.w.slice();
  w[7] = (w[7] + 1) % P;
  const r = verify(cheatWith(proof.v, w));
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.kind, 'ColumnCheckFailed');
});

test('a changed column entry is rejected', () => {
  const p = clone(proof);
  p.columns[R + 1] = (p.columns[R + 1] + 1) % P;
  const r = verify(p);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.kind, 'MerkleCheckFailed');
});

test('a column entry plus p (non-canonical) is rejected', () => {
  const p = clone(proof);
  p.columns[0] = p.columns[0] + P;
  const r = verify(p);
  assert.equal(r.ok, false);
  const w = serializeOpening(pcs, proof);
  assert.ok(deserializeOpening(pcs, w, commitment).ok);
});

test('a changed Merkle path node is rejected', () => {
  for (const pos of [0, 33, proof.merkleNodes.length - 1]) {
    const p = clone(proof);
    p.merkleNodes[pos] ^= 0x80;
    assert.equal(verify(p).ok, false, `byte ${pos}`);
  }
});

test('|v| = C − 1 and a missing column are rejected', () => {
  const p = clone(proof);
  p.v = p.v.slice(0, 4 * (C - 1));
  let r = verify(p);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.kind, 'BadLength');
  const q = clone(proof);
  q.columns = q.columns.slice(0, q.columns.length - R);
  r = verify(q);
  assert.equal(r.ok, false);
});

test('a proof whose recorded parameters differ from the verifier’s is rejected', () => {
  const p = { ...clone(proof), numQueries: proof.numQueries - 1 };
  const r = verify(p);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.kind, 'ParameterMismatch');
  const weak = new TensorPcs({ securityBits: 40 });
  const c2 = weak.commit(f);
  const o2 = weak.open(c2.data, z, tr());
  assert.equal(pcs.verify({ ...c2.commitment }, z, o2.value, o2.proof, tr()).ok, false, 'a weaker proof against the 100-bit verifier');
});

test('merged mode: refused at a non-challenge point, accepted inside a batch opening', () => {
  const merged = new TensorPcs({ merged: true });
  const { commitment: c, data: d } = merged.commit(f);
  assert.throws(() => merged.open(d, z, tr()), /merged mode/);
  const claims = [{ point: z, value }];
  const bp = proveBatchOpening(merged, c, d, claims, tr());
  assert.equal(bp.opening.w.length, 0);
  assert.ok(verifyBatchOpening(merged, c, claims, bp, tr()).ok);
  // tamper v in merged mode: rejected
  const v = bp.opening.v.slice();
  v[3] = (v[3] + 1) % P;
  assert.equal(verifyBatchOpening(merged, c, claims, { ...bp, opening: { ...bp.opening, v } }, tr()).ok, false);
  // a merged-mode proof cannot be passed off as a single-point opening
  assert.equal(merged.verify(c, z, value, bp.opening, tr()).ok, false);
});

/**
 * A cheating committer whose one row is not a codeword: the honest verifier, with only t = 8
 * queries, must reject with probability ≥ 1 − (5/8)^8 ≈ 0.977 per opening (PROTOCOL-NOTES §1).
 */
test('a committed non-codeword row is caught (t = 8: rejection rate ≥ 1 − (5/8)^8)', () => {
  const weak = new TensorPcs({ securityBits: 3.3 });
  const m = 8;
  const layout = weak.layout(m);
  assert.equal(layout.numQueries, 8);
  const g = new Rng(9).baseVec(1 << m);
  const Rr = 1 << layout.logRows;
  const N = 1 << (layout.logCols + layout.logBlowup);
  const encoded = rsEncodeRows(g, Rr, layout.logCols, layout.logBlowup);
  // corrupt row 1 in half of its positions: far from the code (distance > (N − C)/2).
  const noise = new Rng(10);
  for (let j = 0; j < N; j += 2) encoded[1 * N + j] = noise.field();
  const columns = new Uint32Array(Rr * N);
  kernels().transpose(columns, encoded, Rr, N);
  const leaves = new Uint8Array(DIGEST_BYTES * N);
  hashLeavesInto(leaves, new Uint8Array(columns.buffer), 4 * Rr);
  const tree = buildMerkleTree(leaves);
  const commitment = { root: merkleRoot(tree), layout };
  const cheat: TensorProverData = { commitment, values: g, encoded, usedRows: Rr, tree };
  let rejected = 0;
  const trials = 40;
  for (let i = 0; i < trials; i++) {
    const point = new Rng(1000 + i).extVec(m);
    const { value: y, proof: p } = weak.open(cheat, point, tr());
    if (!weak.verify(commitment, point, y, p, tr()).ok) rejected++;
  }
  assert.ok(rejected >= Math.floor(trials * 0.85), `rejected ${rejected}/${trials}`);
});

test('serialized proof size matches the layout', () => {
  const bytes = serializeOpening(pcs, proof);
  const unique = proof.columns.length / R;
  const expected = 4 + 1 + 3 + 4 + 1 + 2 * 16 * C + 4 + unique * R * 4 + 4 + proof.merkleNodes.length;
  assert.equal(bytes.length, expected);
});

test('a vector with zero rows at the end: the same root as encoding every row; openings verify', () => {
  const g = new Rng(77).baseVec(1 << n);
  const rows = R >>> 1;
  g.fill(0, rows * C + 5); // rows beyond rows + 1 are zero; row `rows` is partly non-zero
  const { commitment: c, data: d } = pcs.commit(g);
  assert.equal(d.usedRows, rows + 1);
  const encoded = rsEncodeRows(g, R, L.logCols, L.logBlowup);
  const N = C << L.logBlowup;
  const cols = new Uint32Array(R * N);
  kernels().transpose(cols, encoded, R, N);
  const leaves = new Uint8Array(DIGEST_BYTES * N);
  hashLeavesInto(leaves, new Uint8Array(cols.buffer), 4 * R);
  assert.deepEqual([...c.root], [...merkleRoot(buildMerkleTree(leaves))]);
  const point = new Rng(78).extVec(n);
  const opened = pcs.open(d, point, tr());
  assert.ok(pcs.verify(c, point, opened.value, opened.proof, tr()).ok);
  const zero = pcs.commit(new Uint32Array(1 << n));
  assert.equal(zero.data.usedRows, 0);
  const o0 = pcs.open(zero.data, point, tr());
  assert.deepEqual([...o0.value], [0, 0, 0, 0]);
  assert.ok(pcs.verify(zero.commitment, point, o0.value, o0.proof, tr()).ok);
});
