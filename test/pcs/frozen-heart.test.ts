/**
 * Fiat–Shamir order for the tensor PCS (PROTOCOL-NOTES §1 "Public-code pitfall", §6).
 *
 * If the column indices were drawn before v is absorbed, a prover who knows them solves
 * q + 1 linear equations for a fake v' — Enc(v') agrees with Enc(v) on every queried column
 * and ⟨v', eq(z_lo)⟩ is any value it likes — and every verifier check at those columns passes.
 * This test builds that forgery against the flawed order (and shows the checks pass), then
 * shows that the real transcript, which absorbs v before drawing the indices, rejects it.
 * It also pins the golden label sequence of an opening and of a batch opening.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P, pow, rootOfUnity, mul } from '../../src/field/babybear.js';
import { type Ext, ext, extAdd, extEquals, extInv, extIsZero, extMul, extMulBase, extSub } from '../../src/field/extension.js';
import { kernels } from '../../src/field/active.js';
import { eqTable } from '../../src/poly/multilinear.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { merkleOpen } from '../../src/hash/merkle.js';
import { TensorPcs, tensorColumn, type TensorProof } from '../../src/pcs/tensor.js';
import { proveBatchOpening } from '../../src/pcs/batch.js';
import { Rng } from '../support/random.js';

/** Solves A·x = b over K by Gaussian elimination (A: rows of ext elements). */
function solve(A: Ext[][], b: Ext[]): Ext[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    const piv = M.findIndex((row, r) => r >= c && !extIsZero(row[c]));
    assert.ok(piv >= 0, 'singular system');
    [M[c], M[piv]] = [M[piv], M[c]];
    const inv = extInv(M[c][c]);
    M[c] = M[c].map((x) => extMul(x, inv));
    for (let r = 0; r < n; r++) {
      if (r === c || extIsZero(M[r][c])) continue;
      const f = M[r][c];
      M[r] = M[r].map((x, k) => extSub(x, extMul(f, M[c][k])));
    }
  }
  return M.map((row) => row[n]);
}

/** Enc(x)[j] for an ext vector x of C elements on the order-N subgroup. */
function encAt(x: Uint32Array, C: number, logN: number, j: number): Ext {
  const w = pow(rootOfUnity(logN), j);
  let acc = ext();
  let wp = 1;
  for (let b = 0; b < C; b++) {
    acc = extAdd(acc, extMulBase(x.subarray(4 * b, 4 * b + 4), wp));
    wp = mul(wp, w);
  }
  return acc;
}

test('indices drawn before v let a forged v pass every check; the real order rejects it', () => {
  const pcs = new TensorPcs({ securityBits: 3.3 }); // t = 8 keeps the linear system small
  const n = 10;
  const f = new Rng(77).baseVec(1 << n);
  const { commitment, data } = pcs.commit(f);
  const L = commitment.layout;
  const C = 1 << L.logCols;
  const R = 1 << L.logRows;
  const logN = L.logCols + L.logBlowup;
  const z = new Rng(78).extVec(n);
  const honest = pcs.open(data, z, new Transcript('fh'));
  const y2 = extAdd(honest.value, ext(1)); // the false claim

  // The flawed transcript: statement, proximity challenge, then indices — v never absorbed first.
  const flawed = new Transcript('fh');
  flawed.absorbBytes('pcs/root', commitment.root);
  flawed.absorbNumber('pcs/vars', n);
  flawed.absorbExt('pcs/point', z);
  flawed.absorbExt('pcs/value', y2);
  const gamma = eqTable(flawed.challengeExts('pcs/proximity', L.logRows));
  const Q = Array.from(new Set(flawed.challengeIndices('pcs/queries', L.numQueries, 1 << logN))).sort((a, b) => a - b);
  assert.ok(Q.length + 1 <= C, 'layout leaves room for the forgery');

  // δ supported on coordinates 0..q: Enc(δ)[j] = 0 for j ∈ Q, ⟨δ, eq(z_lo)⟩ = 1.
  const eqLo = eqTable(z.subarray(0, 4 * L.logCols));
  const q = Q.length;
  const A: Ext[][] = Q.map((j) => Array.from({ length: q + 1 }, (_, b) => ext(pow(rootOfUnity(logN), j * b))));
  A.push(Array.from({ length: q + 1 }, (_, b) => eqLo.slice(4 * b, 4 * b + 4)));
  const rhs: Ext[] = [...Q.map(() => ext()), ext(1)];
  const delta = solve(A, rhs);
  const v2 = honest.proof.v.slice();
  delta.forEach((d, b) => v2.set(extAdd(v2.subarray(4 * b, 4 * b + 4), d), 4 * b));

  // Under the flawed order every check passes at the queried columns.
  const K = kernels();
  const eqHi = eqTable(z.subarray(4 * L.logCols));
  const w = new Uint32Array(4 * C);
  K.combineRows(w, data.values, gamma, C);
  assert.ok(extEquals(K.extDot(v2, eqLo), y2), 'evaluation check passes for the false claim');
  for (const j of Q) {
    const col = tensorColumn(data, j);
    assert.ok(extEquals(K.extDotBase(eqHi, col), encAt(v2, C, logN, j)), `column ${j}: v check passes`);
    assert.ok(extEquals(K.extDotBase(gamma, col), encAt(w, C, logN, j)), `column ${j}: w check passes`);
  }

  // The real verifier absorbs v before drawing indices: the same forgery, answered with the
  // columns its own transcript induces, is rejected.
  const real = new Transcript('fh');
  real.absorbBytes('pcs/root', commitment.root);
  real.absorbNumber('pcs/vars', n);
  real.absorbExt('pcs/point', z);
  real.absorbExt('pcs/value', y2);
  real.challengeExts('pcs/proximity', L.logRows);
  real.absorbExt('pcs/v', v2);
  real.absorbExt('pcs/w', w);
  const Q2 = Array.from(new Set(real.challengeIndices('pcs/queries', L.numQueries, 1 << logN))).sort((a, b) => a - b);
  const columns = new Uint32Array(Q2.length * R);
  Q2.forEach((j, k) => columns.set(tensorColumn(data, j), k * R));
  const forged: TensorProof = { ...honest.proof, v: v2, w, columns, merkleNodes: merkleOpen(data.tree, Q2).nodes };
  const res = pcs.verify(commitment, z, y2, forged, new Transcript('fh'));
  assert.equal(res.ok, false);
  assert.ok(P > 0);
});

test('golden label sequence of a tensor opening and of a batch opening', () => {
  const pcs = new TensorPcs();
  const f = new Rng(5).baseVec(1 << 12);
  const { commitment, data } = pcs.commit(f);
  const t = new Transcript('golden', { record: true });
  pcs.open(data, new Rng(6).extVec(12), t);
  assert.deepEqual(
    t.log!.map((e) => `${e.op}:${e.label}`),
    ['absorb:pcs/root', 'absorb:pcs/vars', 'absorb:pcs/point', 'absorb:pcs/value', 'squeeze:pcs/proximity', 'absorb:pcs/v', 'absorb:pcs/w', 'squeeze:pcs/queries'],
  );
  const tb = new Transcript('golden', { record: true });
  const point = new Rng(7).extVec(11);
  const claims = [{ point, segment: 1, value: kernels().extDotBase(eqTable(point), f.subarray(2048)) }];
  proveBatchOpening(pcs, commitment, data, claims, tb);
  const labels = tb.log!.map((e) => `${e.op}:${e.label}`);
  assert.deepEqual(labels.slice(0, 7), [
    'absorb:batch/commitment',
    'absorb:batch/count',
    'absorb:batch/claim-vars',
    'absorb:batch/claim-segment',
    'absorb:batch/claim-point',
    'absorb:batch/claim-value',
    'squeeze:batch/rho',
  ]);
  assert.deepEqual(labels.slice(7, 10), ['absorb:batch/sumcheck/vars', 'absorb:batch/sumcheck/degree', 'absorb:batch/sumcheck/sum']);
  const rounds = labels.filter((l) => l === 'absorb:batch/sumcheck/round').length;
  assert.equal(rounds, 12);
  const evalAt = labels.indexOf('absorb:batch/eval');
  assert.equal(labels[evalAt - 1], 'squeeze:batch/sumcheck/challenge');
  assert.equal(labels[evalAt + 1], 'absorb:pcs/root');
});
