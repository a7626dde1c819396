/**
 * Soundness of zero-knowledge Ligero, one attack per test (STYLE §8): every test changes one
 * thing — a sent polynomial (after the fact, or by a cheating prover that then answers
 * honestly), a column entry, a salt, a Merkle node, the statement, a committed row, a mask, a
 * length — and the verifier must reject, naming the check where it is determined.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P } from '../../src/field/babybear.js';
import { ext, extAdd } from '../../src/field/extension.js';
import { Transcript } from '../../src/transcript/transcript.js';
import type { ConstraintSystem } from '../../src/pcs/constraints.js';
import { commitZkLigero, proveZkLigero, verifyZkLigero, type ZkLigeroProof, type ZkLigeroProverData, type ZkProveOptions } from '../../src/pcs/zk-ligero.js';
import { commitColumns } from '../../src/pcs/zk-ligero-columns.js';
import { ROW_LIN_A, sampleMasks } from '../../src/pcs/zk-ligero-masks.js';
import { codeShape } from '../../src/pcs/zk-ligero-params.js';
import { Rng } from '../support/random.js';
import { cloneProof, commitAndProve, freshTranscript, satisfiedSystem, seeded, smallParams, verifyFresh } from './zk-ligero-support.js';

const n = 500;
const params = smallParams(4, 8); // C = 16, k = 10, N = 128, t = 8
const shape = codeShape(params);
const r = new Rng(9001);
const w = r.baseVec(n);
const sys = satisfiedSystem(r, w, { linear: 4, tensor: [[5, 2], [3, 7]], tensorExtra: 1, hadamard: [[10, 200, 300, 30]] });
const SEED = 9002;
const honest = commitAndProve(w, params, sys, SEED);
const { commitment, proof } = honest;

function reject(p: ZkLigeroProof, kind?: string | RegExp, s: ConstraintSystem = sys, why = ''): void {
  const res = verifyFresh(commitment, s, p);
  assert.equal(res.ok, false, `accepted: ${why}`);
  if (kind && !res.ok) {
    if (typeof kind === 'string') assert.equal(res.error.kind, kind, `${why}: ${res.error.message}`);
    else assert.match(res.error.kind, kind, `${why}: ${res.error.message}`);
  }
}

/** The same commitment and randomness, with a cheating prover's options. */
function cheat(opts: ZkProveOptions, s: ConstraintSystem = sys): ZkLigeroProof {
  return commitAndProve(w, params, s, SEED, { unchecked: true, ...opts }).proof;
}

const bump = (v: Uint32Array, i: number, d = 1) => {
  const out = v.slice();
  out[i] = (out[i] + d) % P;
  return out;
};

test('the honest proof verifies (the fixture is sound to tamper with)', () => {
  const res = verifyFresh(commitment, sys, proof);
  assert.ok(res.ok, JSON.stringify(!res.ok && res.error));
  assert.ok(proof.columnsA.length / Math.ceil(n / 16) >= 4 && proof.merkleA.length > 0 && proof.rowsB > 20, 'every part is non-trivial');
  // the cheating-prover harness with no edits reproduces the honest proof
  assert.deepEqual(cheat({}), proof);
});

test('one coefficient of each sent polynomial, changed after the fact, is rejected', () => {
  for (const [field, len] of [['p0', shape.L], ['qLin', shape.linDegree], ['qQuad', shape.quadDegree]] as const) {
    for (const i of [0, 5, 4 * len - 1]) {
      const p = cloneProof(proof);
      p[field] = bump(p[field], i);
      reject(p, undefined, sys, `${field}[${i}]`);
    }
  }
});

test('a cheating prover that sends an edited P0 and answers honestly fails the proximity check', () => {
  reject(cheat({ edit: { p0: (p) => bump(p, 9) } }), 'ProximityCheckFailed', sys, 'P0 + e');
});

test('a cheating prover that edits Q_lin: off H-multiples → column check; at coefficient 0 → the sum check', () => {
  reject(cheat({ edit: { qLin: (p) => bump(p, 4 * 1) } }), 'LinearCheckFailed', sys, 'Q_lin[1] + 1 (sum kept)');
  reject(cheat({ edit: { qLin: (p) => bump(p, 4 * 0 + 2) } }), 'LinearSumMismatch', sys, 'Q_lin[0] + u²');
});

test('a cheating prover that edits Q_quad: not vanishing on H → vanishing check; by Z_H·1 → column check', () => {
  reject(cheat({ edit: { qQuad: (p) => bump(p, 4 * 3) } }), 'QuadraticNotVanishing', sys, 'Q_quad[3] + 1');
  const C = shape.C;
  reject(cheat({ edit: { qQuad: (p) => bump(bump(p, 0, P - 1), 4 * C) } }), 'QuadraticCheckFailed', sys, 'Q_quad + (X^C − 1)');
});

test('one coefficient too many or too few in any sent polynomial is rejected (degree bounds)', () => {
  for (const field of ['p0', 'qLin', 'qQuad'] as const) {
    for (const delta of [-4, 4]) {
      const p = cloneProof(proof);
      const v = new Uint32Array(p[field].length + delta);
      v.set(p[field].subarray(0, Math.min(v.length, p[field].length)));
      p[field] = v;
      reject(p, 'BadLength', sys, `${field} ${delta > 0 ? '+1' : '−1'} coefficient`);
    }
  }
  // a higher-degree polynomial with the same values on the queried columns is not even expressible
  const q = cloneProof(proof);
  q.qLin = new Uint32Array(proof.qLin.length + 4 * shape.C);
  q.qLin.set(proof.qLin);
  reject(q, 'BadLength', sys, 'Q_lin with C more coefficients');
});

test('a changed column entry (tree A or B), salt, or Merkle node is rejected', () => {
  const rowsA = Math.ceil(n / shape.C);
  for (const [field, i] of [['columnsA', 0], ['columnsA', rowsA + 3], ['columnsB', 0], ['columnsB', proof.rowsB + 25]] as const) {
    const p = cloneProof(proof);
    p[field] = bump(p[field], i);
    reject(p, 'MerkleCheckFailed', sys, `${field}[${i}]`);
  }
  for (const field of ['saltsA', 'saltsB', 'merkleA', 'merkleB'] as const) {
    for (const i of [0, 33, proof[field].length - 1]) {
      const p = cloneProof(proof);
      p[field][i] ^= 0x10;
      reject(p, 'MerkleCheckFailed', sys, `${field}[${i}]`);
    }
  }
  const nc = cloneProof(proof);
  nc.columnsA[2] += P;
  reject(nc, 'NonCanonical', sys, 'column entry + p');
  const short = cloneProof(proof);
  short.columnsB = short.columnsB.slice(0, short.columnsB.length - proof.rowsB);
  reject(short, 'BadLength', sys, 'a missing column');
  const rb = cloneProof(proof);
  rb.rootB[0] ^= 1;
  reject(rb, undefined, sys, 'root B');
  reject({ ...cloneProof(proof), rowsB: proof.rowsB + 3 }, 'ShapeMismatch', sys, 'rows B');
});

test('the statement is bound: any constraint changed after the proof, added or dropped, is rejected', () => {
  const variants: [string, ConstraintSystem][] = [
    ['linear rhs + 1', { ...sys, linear: sys.linear.map((c, i) => (i === 1 ? { ...c, rhs: extAdd(c.rhs, ext(1)) } : c)) }],
    ['tensor rhs + u³', { ...sys, tensor: sys.tensor.map((c, i) => (i === 0 ? { ...c, rhs: extAdd(c.rhs, ext(0, 0, 0, 1)) } : c)) }],
    ['a linear coefficient', { ...sys, linear: sys.linear.map((c, i) => (i === 0 ? { ...c, coeffs: bump(c.coeffs, 1) } : c)) }],
    ['a linear index', { ...sys, linear: sys.linear.map((c, i) => (i === 2 ? { ...c, index: bump(c.index, 0) } : c)) }],
    ['a tensor point coordinate', { ...sys, tensor: sys.tensor.map((c, i) => (i === 1 ? { ...c, point: bump(c.point, 4) } : c)) }],
    ['a tensor offset', { ...sys, tensor: sys.tensor.map((c, i) => (i === 1 ? { ...c, offset: c.offset + 8 } : c)) }],
    ['a Hadamard block moved', { ...sys, hadamard: [{ ...sys.hadamard[0], y: sys.hadamard[0].y + 1 }] }],
    ['a Hadamard block shortened', { ...sys, hadamard: [{ ...sys.hadamard[0], len: sys.hadamard[0].len - 1 }] }],
    ['a constraint dropped', { ...sys, linear: sys.linear.slice(1) }],
    ['a constraint added', { ...sys, linear: [...sys.linear, sys.linear[0]] }],
  ];
  for (const [what, s] of variants) reject(proof, undefined, s, what);
  // and the proof is tied to its transcript and commitment
  assert.equal(verifyZkLigero(commitment, sys, proof, freshTranscript(commitment, 'another-protocol'), { minBits: 0 }).ok, false, 'another transcript');
  const other = commitZkLigero(w, params, seeded(SEED + 1)).commitment;
  assert.equal(verifyZkLigero(other, sys, proof, freshTranscript(other), { minBits: 0 }).ok, false, 'another commitment of the same vector');
  const noAbsorb = new Transcript('zk-ligero-test');
  assert.equal(verifyZkLigero(commitment, sys, proof, noAbsorb, { minBits: 0 }).ok, false, 'the commitment not absorbed');
});

test('a false rhs proven by a cheating prover is rejected by the sum check', () => {
  const lie: ConstraintSystem = { ...sys, tensor: sys.tensor.map((c, i) => (i === 1 ? { ...c, rhs: extAdd(c.rhs, ext(5)) } : c)) };
  reject(cheat({}, lie), 'LinearSumMismatch', lie, 'tensor rhs + 5, proven');
});

test('a linear mask that does not sum to zero on H is rejected (honest statement)', () => {
  const masks = sampleMasks(shape, seeded(1));
  masks[ROW_LIN_A * shape.L] = (masks[ROW_LIN_A * shape.L] + 1) % P; // Σ_H a = C·1 in the constant u-coefficient
  reject(cheat({ masks }), 'LinearSumMismatch', sys, 'Σ_H a ≠ 0');
});

test('a quadratic mask that does not vanish on H is rejected (honest statement)', () => {
  // The verifier applies Z_H to the committed rows (c0, c1) itself, so a non-vanishing mask s can
  // only reach Q_quad outside them: Q_quad + s is caught by the vanishing check. (Committing
  // s/Z_H in c0 is a non-codeword row: the proximity test's case, next test.)
  reject(cheat({ edit: { qQuad: (p) => bump(p, 0) } }), 'QuadraticNotVanishing', sys, 'mask + 1');
});

/**
 * A cheating committer: row 1 of tree A is not a codeword (its values at every odd position are
 * replaced), the rest is honest. The prover's polynomials come from the honest rows (it sees the
 * even positions, its evaluation coset), so only the proximity check at odd columns can catch it:
 * rejection probability 1 − 2^−t per proof with t = 8.
 */
test('a committed non-codeword row is caught (t = 8: rejection rate ≥ 1 − 2^−8)', () => {
  const trials = 24;
  let rejected = 0;
  const kinds = new Set<string>();
  for (let i = 0; i < trials; i++) {
    const { data } = commitZkLigero(w, params, seeded(100 + i));
    const encoded = data.encoded.slice();
    const noise = new Rng(200 + i);
    for (let j = 1; j < shape.N; j += 2) encoded[shape.N + j] = noise.field();
    const tree = commitColumns(encoded, data.rowsA, shape.N, seeded(300 + i));
    const c = { ...data.commitment, root: tree.root };
    const bad: ZkLigeroProverData = { ...data, commitment: c, encoded, tree, revealed: new Set() };
    const p = proveZkLigero(bad, sys, freshTranscript(c));
    const res = verifyZkLigero(c, sys, p, freshTranscript(c), { minBits: 0 });
    if (!res.ok) {
      rejected++;
      kinds.add(res.error.kind);
    }
  }
  assert.ok(rejected >= trials - 2, `rejected ${rejected}/${trials}`);
  assert.ok(kinds.has('ProximityCheckFailed'), [...kinds].join());
});
