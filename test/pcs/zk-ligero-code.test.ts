/**
 * The hiding code and the test combinations of zk-ligero against naive references: rows agree
 * with their messages on H, codewords are evaluations on the coset, the Lagrange table is the
 * Lagrange basis, masks have the shapes the ZK argument needs, and the verifier's column
 * combination (dense and Lagrange paths) and the prover's coset evaluation equal Σ_a q_a·p_a.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, inv, mul, pow, rootOfUnity, sub } from '../../src/field/babybear.js';
import { type Ext, ext, extAdd, extMul, extMulBase } from '../../src/field/extension.js';
import { codePoint, componentAt, cosetEvaluateExt, cosetEvaluateRows, cosetInterpolateExt, firstNonVanishingResidue, hidingRowCoefficients, interpolantOnCoset, PolynomialsAtColumns, LagrangeOnCoset, sumOverH } from '../../src/pcs/zk-ligero-code.js';
import { linearMask, quadraticMask, sampleMasks, proximityMask } from '../../src/pcs/zk-ligero-masks.js';
import { codeShape } from '../../src/pcs/zk-ligero-params.js';
import { denseRow, linearTerms, linearWeights, numLinearConstraints, weightVars } from '../../src/pcs/zk-ligero-system.js';
import { linearAtColumns, linearOnCoset } from '../../src/pcs/zk-ligero-eval.js';
import { Rng } from '../support/random.js';
import { satisfiedSystem, seeded, smallParams } from './zk-ligero-support.js';

/** p(x) for base coefficients. */
function evalBase(coeffs: Uint32Array, x: number): number {
  let acc = 0;
  for (let i = coeffs.length - 1; i >= 0; i--) acc = add(mul(acc, x), coeffs[i]);
  return acc;
}

/** Q(x) for interleaved K coefficients and x ∈ F. */
function evalExt(q: Uint32Array, x: number): Ext {
  let acc: Ext = ext();
  for (let i = (q.length >>> 2) - 1; i >= 0; i--) acc = extAdd(extMulBase(acc, x), q.subarray(4 * i, 4 * i + 4));
  return acc;
}

/** ℓ_b(x) on H = ⟨ω_C⟩ by the product formula. */
function lagrange(logC: number, b: number, x: number): number {
  const C = 1 << logC;
  const w = rootOfUnity(logC);
  const hb = pow(w, b);
  let num = 1;
  let den = 1;
  for (let i = 0; i < C; i++) {
    if (i === b) continue;
    const hi = pow(w, i);
    num = mul(num, sub(x, hi));
    den = mul(den, sub(hb, hi));
  }
  return mul(num, inv(den));
}

test('hiding rows: p agrees with the message on H, has degree < C + k, and its codeword is p on g·⟨ω_N⟩', () => {
  const r = new Rng(1);
  const logC = 3;
  const C = 8;
  const k = 5;
  const rows = 3;
  const msgs = r.baseVec(rows * C);
  const coeffs = hidingRowCoefficients(msgs, rows, logC, r.baseVec(rows * k), k);
  const L = C + k;
  const w = rootOfUnity(logC);
  for (let a = 0; a < rows; a++) {
    const p = coeffs.subarray(a * L, (a + 1) * L);
    for (let b = 0; b < C; b++) assert.equal(evalBase(p, pow(w, b)), msgs[a * C + b], `row ${a}, column ${b}`);
  }
  const logN = 6;
  const enc = cosetEvaluateRows(coeffs, rows, L, logN);
  for (const j of [0, 1, 17, 63]) assert.equal(enc[2 * 64 + j], evalBase(coeffs.subarray(2 * L, 3 * L), codePoint(logN, j)));
  // no codeword position lies in H
  for (let j = 0; j < 64; j++) assert.notEqual(pow(codePoint(logN, j), C), 1);
});

test('K polynomials on the coset: evaluation and interpolation invert each other', () => {
  const r = new Rng(2);
  const q = r.extVec(20);
  const ev = cosetEvaluateExt(q, 5);
  for (const j of [0, 3, 31]) assert.deepEqual(componentAt(ev, 32, j), evalExt(q, codePoint(5, j)));
  const back = cosetInterpolateExt(ev, 5);
  assert.deepEqual(back.subarray(0, 80), q);
  assert.ok(back.subarray(80).every((x) => x === 0));
});

test('polynomials and interpolants at opened columns (folded coset NTTs) equal the full coset evaluation, for every fold size', () => {
  const r = new Rng(12);
  // (logC, logN, |J|): |J| small, near N, and the extreme folds F = C and F = 2
  for (const [logC, logN, q] of [[3, 6, 5], [5, 8, 40], [4, 9, 300], [6, 7, 100], [2, 6, 1], [7, 10, 2]] as const) {
    const C = 1 << logC;
    const N = 1 << logN;
    const J = Uint32Array.from(new Set(Array.from({ length: q }, () => r.int(N))));
    J.sort();
    const at = new PolynomialsAtColumns(logC, logN, J);
    for (let trial = 0; trial < 3; trial++) {
      const v = r.extVec(C);
      const full = interpolantOnCoset(v, logC, logN);
      const got = at.interpolantAt(v);
      J.forEach((j, k) => assert.deepEqual(got.subarray(4 * k, 4 * k + 4), componentAt(full, N, j), `logC ${logC}, logN ${logN}, column ${j}`));
      const poly = r.extVec(C - trial); // fewer coefficients than 2^logLen are zero-padded
      const ev = cosetEvaluateExt(poly, logN);
      const pv = at.at(poly);
      J.forEach((j, k) => assert.deepEqual(pv.subarray(4 * k, 4 * k + 4), componentAt(ev, N, j), `polynomial, logC ${logC}, logN ${logN}, column ${j}`));
    }
  }
});

test('the Lagrange table on a coset is the Lagrange basis of H (full and on demand)', () => {
  const logC = 3;
  const logN = 6;
  const full = new LagrangeOnCoset(logC, logN, true);
  const lazy = new LagrangeOnCoset(logC, logN, false);
  const slots: number[] = [];
  const cases: [number, number][] = [];
  for (const b of [0, 1, 5, 7]) for (const i of [0, 2, 9, 63]) cases.push([b, i]);
  for (const [b, i] of cases) slots.push(lazy.slot(b, i));
  const T = LagrangeOnCoset.inverseAt(logN, Uint32Array.from(slots));
  cases.forEach(([b, i], s) => {
    const want = lagrange(logC, b, codePoint(logN, i));
    assert.equal(full.at(b, i), want, `ℓ_${b}(x_${i})`);
    assert.equal(mul(lazy.factor(i), T[s]), want);
  });
});

test('sums over H and vanishing on H, from coefficients', () => {
  const r = new Rng(3);
  const logC = 2;
  const C = 4;
  const q = r.extVec(11);
  let direct: Ext = ext();
  for (let b = 0; b < C; b++) direct = extAdd(direct, evalExt(q, pow(rootOfUnity(logC), b)));
  assert.deepEqual(sumOverH(q, logC), direct);
  assert.ok(firstNonVanishingResidue(q, logC) >= 0);
  // Z_H·g vanishes
  const g = r.extVec(7);
  const zg = new Uint32Array(4 * 11);
  for (let i = 0; i < 28; i++) {
    zg[i] = sub(zg[i], g[i]);
    zg[i + 4 * C] = add(zg[i + 4 * C], g[i]);
  }
  assert.equal(firstNonVanishingResidue(zg, logC), -1);
  zg[4 * 3 + 2] = add(zg[4 * 3 + 2], 1);
  assert.equal(firstNonVanishingResidue(zg, logC), 3);
});

test('masks: m has L coefficients, a + Z_H·b sums to zero on H with C + L − 1, Z_H·(c0 + X^{k−1}c1) vanishes on H with 2L − 1', () => {
  const s = codeShape(smallParams(4, 6));
  for (let seed = 0; seed < 5; seed++) {
    const m = sampleMasks(s, seeded(seed));
    assert.equal(proximityMask(m, s).length, 4 * s.L);
    const lin = linearMask(m, s);
    assert.equal(lin.length, 4 * s.linDegree);
    assert.deepEqual(sumOverH(lin, s.logC), ext());
    const quad = quadraticMask(m, s);
    assert.equal(quad.length, 4 * s.quadDegree);
    assert.equal(firstNonVanishingResidue(quad, s.logC), -1);
  }
});

/**
 * Naive Σ_a q_a(x)·p_a(x): every row's combined coefficients densified, q_a(x) by the product
 * formula of the Lagrange basis, p_a(x) given.
 */
function naiveLinear(terms: ReturnType<typeof linearTerms>, logC: number, rows: number, x: number, rowValue: (a: number) => number): Ext {
  const C = 1 << logC;
  const coef = new Map<number, Uint32Array>();
  for (let r = 0; r < rows; r++) coef.set(r, denseRow(terms, r, C));
  for (const g of terms.groups) {
    for (let i = 0; i < g.rows; i++) {
      const v = coef.get(g.row0 + i)!;
      const wgt = g.rowWeights.subarray(4 * i, 4 * i + 4);
      for (let b = 0; b < C; b++) v.set(extAdd(v.subarray(4 * b, 4 * b + 4), extMul(wgt, g.col.subarray(4 * b, 4 * b + 4))), 4 * b);
    }
  }
  let acc: Ext = ext();
  for (let r = 0; r < rows; r++) {
    const v = coef.get(r)!;
    let qa: Ext = ext();
    for (let b = 0; b < C; b++) qa = extAdd(qa, extMulBase(v.subarray(4 * b, 4 * b + 4), lagrange(logC, b, x)));
    acc = extAdd(acc, extMulBase(qa, rowValue(r)));
  }
  return acc;
}

test('linear combination: the verifier (dense and Lagrange rows, groups) and the prover (coset) equal the naive Σ_a q_a·p_a', () => {
  const r = new Rng(4);
  const logC = 4;
  const C = 16;
  const n = 300;
  const w = r.baseVec(n);
  // copies make dense aux rows (16 entries each); sparse terms stay below the threshold
  const sys = satisfiedSystem(r, w, { linear: 6, tensor: [[6, 2], [7, 1], [4, 5], [2, 9], [5, 3]], tensorExtra: 2, hadamard: [[3, 100, 200, 40]] });
  const rowsA = Math.ceil(n / C);
  const triples = Math.ceil(40 / C);
  const rows = rowsA + 20 + 3 * triples;
  const M = numLinearConstraints(sys);
  const omega = linearWeights(r.ext(), r.extVec(weightVars(M)), M);
  const terms = linearTerms(sys, { logC, rowsA, rows }, omega);
  assert.ok(terms.groups.length >= 2, 'separable groups exist');
  const counts = Array.from({ length: rows }, (_, i) => terms.rowStart[i + 1] - terms.rowStart[i]);
  // opened columns: random values (the identity is linear in them)
  const logN = 7;
  const J = Uint32Array.of(1, 5, 6, 40, 77, 100, 127);
  const opened = r.baseVec(J.length * rows);
  const threshold = Math.max(8, Math.ceil((128 * logN) / (4 * J.length)));
  assert.ok(counts.some((c) => c >= threshold) && counts.some((c) => c > 0 && c < threshold), `both verifier paths: counts ${counts.join(',')}, threshold ${threshold}`);
  const got = linearAtColumns(terms, { logC, logN, rows, t: J.length }, J, opened);
  J.forEach((j, k) => {
    const want = naiveLinear(terms, logC, rows, codePoint(logN, j), (a) => opened[k * rows + a]);
    assert.deepEqual(got.subarray(4 * k, 4 * k + 4), want, `column ${j}`);
  });
  // the prover: rows as random polynomials of degree < L, evaluated on the M-coset
  const L = C + 6;
  const logM = Math.ceil(Math.log2(2 * L - 1));
  const Mm = 1 << logM;
  const coeffs = r.baseVec(rows * L);
  const evals = cosetEvaluateRows(coeffs, rows, L, logM);
  const poly = cosetInterpolateExt(linearOnCoset(terms, { logC, logM, L, rowsA, rows }, coeffs.subarray(0, rowsA * L), (a) => evals.subarray(a * Mm, (a + 1) * Mm).slice()), logM);
  assert.ok(poly.subarray(4 * (C + L - 1)).every((x) => x === 0), 'degree < C + L − 1');
  for (const x of [codePoint(9, 3), 12345]) {
    const want = naiveLinear(terms, logC, rows, x, (a) => evalBase(coeffs.subarray(a * L, (a + 1) * L), x));
    assert.deepEqual(evalExt(poly, x), want, `at ${x}`);
  }
});
