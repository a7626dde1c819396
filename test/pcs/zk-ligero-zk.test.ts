/**
 * Zero knowledge of zk-ligero (the argument in src/pcs/zk-ligero.ts's header).
 *
 * Simulator. Without w, from the statement and the public sizes only, `simulate` samples what
 * the header says a proof is: uniform challenges (programmed into the transcript, the random
 * oracle), uniform openings of every witness, copy, b and c1 row, uniform test polynomials on
 * their constraint spaces (P0 of degree < L; Q_lin with Σ_H = the constraints' combination;
 * Q_quad = Z_H·g), the openings of a, c0 and m solved from the three column identities, random
 * salts, and random leaves for every unopened column. The real verifier accepts.
 *
 * Leak test. Two witnesses satisfy the same system but differ in every entry (the constrained
 * ones through other solutions of the constraints, the free ones: all zero against uniform).
 * Over 300 seeded proofs of each, every class of revealed value — opened entries of tree A, of
 * the copy rows, of the free mask rows (b, c1), of the solved mask rows (m, a, c0), the salts,
 * each test polynomial's coefficients (Q_lin without its constant coefficient, which the sum
 * fixes; Q_quad as g = Q_quad/Z_H) — and two witness-aware classes (a distinguisher who knows
 * w1 subtracts its contribution from P0 and Q_lin on H, where the row randomness vanishes) is
 * compared by a two-sample Kolmogorov–Smirnov test at α = 10^−6 per class and comparison
 * (Bonferroni: 2·10^−5 for the whole test under independent samples), between the witnesses and
 * against the simulator. Seeds are fixed, so the outcome is deterministic (it cannot flake); the
 * stated rate is that of the iid model. Controls, to show the test can fail: the same statistic
 * separates the rows' plain (un-randomised) codewords at the same positions, and, with the masks
 * set to zero (valid proofs that are not hiding), the witness-aware classes are exactly zero for
 * w1 and are separated from w2's by a wide margin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mul, sub } from '../../src/field/babybear.js';
import { type Ext, ext, extAdd, extMul, extMulBase, extSub } from '../../src/field/extension.js';
import { kernels } from '../../src/field/active.js';
import { eqTable } from '../../src/poly/multilinear.js';
import { checkConstraints, type ConstraintSystem } from '../../src/pcs/constraints.js';
import { absorbZkCommitment, commitZkLigero, proveZkLigero, verifyZkLigero, type ZkLigeroCommitment, type ZkLigeroProof } from '../../src/pcs/zk-ligero.js';
import { cosetEvaluateRows } from '../../src/pcs/zk-ligero-code.js';
import { MASK_ROWS, ROW_LIN_A, ROW_LIN_B, ROW_QUAD_0, ROW_QUAD_1, type RandomSource } from '../../src/pcs/zk-ligero-masks.js';
import { codeShape, type ZkLigeroParams } from '../../src/pcs/zk-ligero-params.js';
import { hadamardRows, linearTerms, linearWeights, numLinearConstraints } from '../../src/pcs/zk-ligero-system.js';
import { Rng } from '../support/random.js';
import { GOLDEN_LABELS, ks, ksCritical, onH, PROTOCOL, ProgrammedTranscript, RecordingTranscript, satisfiedSystem, seeded, simulateMulti, smallParams, solveFour, verifyFresh } from './zk-ligero-support.js';

// ---- the simulator -------------------------------------------------------------------------------

/**
 * A simulated commitment and proof for a statement, and the transcript that programs its
 * challenges: the several-commitment simulator (`simulateMulti`) with one commitment, whose proof
 * is exactly the single-commitment one (`proveZkLigero` is `proveZkLigeroMulti` of one).
 */
function simulate(length: number, sys: ConstraintSystem, params: ZkLigeroParams, rng: RandomSource): { commitment: ZkLigeroCommitment; proof: ZkLigeroProof; tr: ProgrammedTranscript } {
  const { commitments, proof: m, tr } = simulateMulti([length], sys, [params], rng);
  const [A] = m.a;
  const proof: ZkLigeroProof = { rowsB: m.rowsB, rootB: m.rootB, p0: m.p0, qLin: m.qLin, qQuad: m.qQuad, columnsA: A.columns, columnsB: m.b.columns, saltsA: A.salts, saltsB: m.b.salts, merkleA: A.merkle, merkleB: m.b.merkle };
  return { commitment: commitments[0], proof, tr };
}

function verifySimulated(sim: ReturnType<typeof simulate>, sys: ConstraintSystem) {
  return verifyZkLigero(sim.commitment, sys, sim.proof, sim.tr, { minBits: 0 });
}

// ---- witnesses -----------------------------------------------------------------------------------

const N_ENTRIES = 256;
const params = smallParams(4, 6); // C = 16, k = 8, N = 128, t = 6

/**
 * The system (constraints on rows 0–7 only, disjoint entry sets) and two witnesses: w2 random,
 * w1 another solution of every constraint, zero on the free entries (rows 8–15).
 */
function witnesses(): { sys: ConstraintSystem; w1: Uint32Array; w2: Uint32Array } {
  const r = new Rng(77);
  const w2 = r.baseVec(N_ENTRIES);
  const sys = satisfiedSystem(r, w2, { hadamard: [[0, 16, 32, 16]] });
  sys.linear = [0, 1, 2].map((c) => {
    const index = Uint32Array.from({ length: 6 }, (_, i) => 48 + 6 * c + i);
    const coeffs = r.extVec(6);
    let rhs: Ext = ext();
    index.forEach((e, i) => (rhs = extAdd(rhs, extMulBase(coeffs.subarray(4 * i, 4 * i + 4), w2[e]))));
    return { index, coeffs, rhs };
  });
  const point = r.extVec(4);
  const seg = w2.subarray(80, 96);
  const eq = eqTable(point);
  sys.tensor = [{ offset: 80, numVars: 4, point, extra: { index: new Uint32Array(0), coeffs: new Uint32Array(0) }, rhs: kernels().extDotBase(eq, seg) }];
  const w1 = new Uint32Array(N_ENTRIES);
  for (let i = 0; i < 16; i++) {
    w1[i] = r.field();
    w1[16 + i] = r.field();
    w1[32 + i] = mul(w1[i], w1[16 + i]);
  }
  for (const c of sys.linear) {
    for (let i = 4; i < 6; i++) w1[c.index[i]] = r.field();
    solveFour(w1, c.index, c.coeffs, c.rhs);
  }
  for (let i = 84; i < 96; i++) w1[i] = r.field();
  solveFour(w1, Array.from({ length: 16 }, (_, i) => 80 + i), eq, sys.tensor[0].rhs);
  assert.equal(checkConstraints(w1, sys), null);
  assert.equal(checkConstraints(w2, sys), null);
  for (let i = 0; i < 96; i++) assert.notEqual(w1[i], w2[i], `entry ${i} differs`);
  return { sys, w1, w2 };
}

// ---- statistics ----------------------------------------------------------------------------------

const CLASSES = [
  'tree A entries',
  'copy-row entries',
  'free mask entries (b, c1)',
  'solved mask entries (m, a, c0)',
  'salts',
  'P0',
  'Q_lin (no constant)',
  'Q_quad / Z_H',
  'P0 on H − γᵀ(w1)',
  'Q_lin on H − ωᵀ(w1)',
] as const;
type Samples = Record<(typeof CLASSES)[number], number[]>;

function collect(into: Samples, proof: ZkLigeroProof): void {
  const s = codeShape(params);
  const rowsB = proof.rowsB;
  proof.columnsA.forEach((v) => into['tree A entries'].push(v));
  const q = proof.columnsB.length / rowsB;
  for (let i = 0; i < q; i++) {
    const col = proof.columnsB.subarray(i * rowsB, (i + 1) * rowsB);
    for (let r = MASK_ROWS; r < rowsB; r++) into['copy-row entries'].push(col[r]);
    for (let c = 0; c < 4; c++) {
      into['free mask entries (b, c1)'].push(col[ROW_LIN_B + c], col[ROW_QUAD_1 + c]);
      into['solved mask entries (m, a, c0)'].push(col[c], col[ROW_LIN_A + c], col[ROW_QUAD_0 + c]);
    }
  }
  proof.saltsA.forEach((b) => into.salts.push(b));
  proof.saltsB.forEach((b) => into.salts.push(b));
  proof.p0.forEach((v) => into.P0.push(v));
  proof.qLin.subarray(4).forEach((v) => into['Q_lin (no constant)'].push(v));
  // g = Q_quad / (X^C − 1): g_i = −Q_i for i < C, g_i = g_{i−C} − Q_i above
  const C = s.C;
  const gLen = s.quadDegree - C;
  const g = new Uint32Array(4 * gLen);
  for (let i = 0; i < gLen; i++) for (let c = 0; c < 4; c++) g[4 * i + c] = sub(i >= C ? g[4 * (i - C) + c] : 0, proof.qQuad[4 * i + c]);
  g.forEach((v) => into['Q_quad / Z_H'].push(v));
}

function emptySamples(): Samples {
  return Object.fromEntries(CLASSES.map((c) => [c, [] as number[]])) as Samples;
}

/**
 * The distinguisher that knows a candidate witness w1: it removes w1's contribution from each test
 * polynomial on H, where the row randomness vanishes. Without masks both are identically zero when
 * the proof is of w1: P0(h_b) − Σ_a γ_a·M1[a][b] (mask rows taken as 0, copy rows from w1), and
 * Q_lin(h_b) − Σ_a coef_a[b]·M1[a][b] for b ≥ 1 (b = 0 is fixed by Σ_H). With masks they are uniform.
 */
function witnessAware(proof: ZkLigeroProof, drawn: Map<string, Uint32Array>, sys: ConstraintSystem, w1: Uint32Array): { p0: Uint32Array; lin: Uint32Array } {
  const s = codeShape(params);
  const { C, logC } = s;
  const rowsA = Math.ceil(w1.length / C);
  const rowsB = proof.rowsB;
  const rows = rowsA + rowsB;
  const M1 = new Uint32Array(rows * C); // messages by global row; mask rows zero
  M1.set(w1);
  M1.set(hadamardRows(w1, sys, logC), (rowsA + MASK_ROWS) * C);
  const gamma = drawn.get('zkl/proximity')!;
  const K = kernels();
  const combA = new Uint32Array(4 * C);
  K.combineRows(combA, M1.subarray(0, rowsA * C), gamma.subarray(0, 4 * rowsA), C);
  const combB = new Uint32Array(4 * C);
  K.combineRows(combB, M1.subarray((rowsA + 4) * C), gamma.subarray(4 * rowsA), C);
  const p0 = onH(proof.p0, logC);
  K.extSub(p0, p0, combA);
  K.extSub(p0, p0, combB);
  const M = numLinearConstraints(sys);
  const terms = linearTerms(sys, { logC, rowsA, rows }, linearWeights(drawn.get('zkl/linear-scale')!, drawn.get('zkl/linear')!, M));
  const lin = onH(proof.qLin, logC);
  for (const g of terms.groups) {
    for (let i = 0; i < g.rows; i++) {
      for (let b = 0; b < C; b++) {
        const v = extMulBase(extMul(g.rowWeights.subarray(4 * i, 4 * i + 4), g.col.subarray(4 * b, 4 * b + 4)), M1[(g.row0 + i) * C + b]);
        lin.set(extSub(lin.subarray(4 * b, 4 * b + 4), v), 4 * b);
      }
    }
  }
  for (let r = 0; r < rows; r++) {
    for (let e = terms.rowStart[r]; e < terms.rowStart[r + 1]; e++) {
      const b = terms.col[e];
      lin.set(extSub(lin.subarray(4 * b, 4 * b + 4), extMulBase(terms.coef.subarray(4 * e, 4 * e + 4), M1[r * C + b])), 4 * b);
    }
  }
  return { p0, lin: lin.subarray(4) };
}

function proveRecorded(w: Uint32Array, sys: ConstraintSystem, seed: number, masks?: Uint32Array) {
  const { commitment, data } = commitZkLigero(w, params, seeded(seed));
  const tr = new RecordingTranscript(PROTOCOL);
  absorbZkCommitment(tr, commitment);
  const proof = proveZkLigero(data, sys, tr, masks ? { masks } : {});
  return { commitment, proof, drawn: tr.drawn };
}

// ---- tests ---------------------------------------------------------------------------------------

test('simulator: proofs made without the witness, with programmed challenges, verify', () => {
  for (const [i, spec] of [
    { linear: 5, tensor: [[5, 2], [3, 9]], tensorExtra: 2, hadamard: [[0, 40, 80, 30]] },
    { linear: 40, terms: 5, tensor: [[6, 1], [4, 0]], hadamard: [[3, 100, 200, 50], [7, 7, 300, 9]] },
    {},
  ].entries()) {
    const r = new Rng(10 + i);
    const n = 400;
    const sys = satisfiedSystem(r, r.baseVec(n), spec as never); // the statement only; its witness is dropped
    const sim = simulate(n, sys, smallParams(4, 8), seeded(20 + i));
    const res = verifySimulated(sim, sys);
    assert.ok(res.ok, `system ${i}: ${JSON.stringify(!res.ok && res.error)}`);
    assert.deepEqual(sim.tr.labels, GOLDEN_LABELS.slice(6), 'the programmed oracle is queried in the real order');
    // a simulated proof of a false statement needs the false statement's target: the one made
    // for the true statement does not verify against a changed rhs
    if (sys.linear.length > 0) {
      const lie = { ...sys, linear: sys.linear.map((c, k) => (k === 0 ? { ...c, rhs: extAdd(c.rhs, ext(1)) } : c)) };
      const sim2 = simulate(n, sys, smallParams(4, 8), seeded(20 + i));
      const bad = verifyZkLigero(sim2.commitment, lie, sim2.proof, sim2.tr, { minBits: 0 });
      assert.equal(bad.ok, false);
    }
  }
});

test('leak test: every class of revealed value is distributed alike for two witnesses and the simulator (KS, α = 1e-6 per class)', () => {
  const { sys, w1, w2 } = witnesses();
  const runs = 300;
  const rowsA = N_ENTRIES / 16;
  const s1 = emptySamples();
  const s2 = emptySamples();
  const s3 = emptySamples();
  const control1: number[] = [];
  const control2: number[] = [];
  const s = codeShape(params);
  const plain = (w: Uint32Array) => {
    const m = w.slice();
    kernels().nttBatch(m, rowsA, s.logC, true);
    return cosetEvaluateRows(m, rowsA, s.C, s.logN);
  };
  const plain1 = plain(w1);
  const plain2 = plain(w2);
  for (let run = 0; run < runs; run++) {
    const a = proveRecorded(w1, sys, 10_000 + run);
    const b = proveRecorded(w2, sys, 20_000 + run);
    if (run < 3) {
      assert.ok(verifyFresh(a.commitment, sys, a.proof).ok);
      assert.ok(verifyFresh(b.commitment, sys, b.proof).ok);
    }
    collect(s1, a.proof);
    collect(s2, b.proof);
    for (const [into, x] of [[s1, a], [s2, b]] as const) {
      const wa = witnessAware(x.proof, x.drawn, sys, w1);
      wa.p0.forEach((v) => into['P0 on H − γᵀ(w1)'].push(v));
      wa.lin.forEach((v) => into['Q_lin on H − ωᵀ(w1)'].push(v));
    }
    const sim = simulate(N_ENTRIES, sys, params, seeded(30_000 + run));
    if (run < 3) assert.ok(verifySimulated(sim, sys).ok);
    collect(s3, sim.proof);
    const ws = witnessAware(sim.proof, sim.tr.programmed, sys, w1);
    ws.p0.forEach((v) => s3['P0 on H − γᵀ(w1)'].push(v));
    ws.lin.forEach((v) => s3['Q_lin on H − ωᵀ(w1)'].push(v));
    // control: the plain codewords at the columns this proof opened
    const J = new Set<number>();
    const pick = new Rng(run);
    for (let i = 0; i < s.t; i++) J.add(pick.int(s.N));
    for (const j of J) for (let r = 0; r < rowsA; r++) {
      control1.push(plain1[r * s.N + j]);
      control2.push(plain2[r * s.N + j]);
    }
  }
  const report: string[] = [];
  for (const c of CLASSES) {
    const [x, y, z] = [Uint32Array.from(s1[c]), Uint32Array.from(s2[c]), Uint32Array.from(s3[c])];
    assert.ok(Math.min(x.length, y.length, z.length) >= 1000, `${c}: ${x.length}, ${y.length}, ${z.length} samples`);
    const d12 = ks(x, y);
    const d13 = ks(x, z);
    const crit12 = ksCritical(x.length, y.length);
    const crit13 = ksCritical(x.length, z.length);
    report.push(`${c}: n=${x.length} D12=${d12.toFixed(4)} D13=${d13.toFixed(4)} crit=${crit12.toFixed(4)}`);
    assert.ok(d12 < crit12, `${c}: witnesses distinguishable, D = ${d12} ≥ ${crit12}`);
    assert.ok(d13 < crit13, `${c}: real and simulated distinguishable, D = ${d13} ≥ ${crit13}`);
  }
  const dc = ks(Uint32Array.from(control1), Uint32Array.from(control2));
  const critc = ksCritical(control1.length, control2.length);
  assert.ok(dc > 10 * critc, `control: plain codewords must be distinguishable, D = ${dc}, crit = ${critc}`);
  if (process.env.ZK_LEAK_REPORT) console.log([...report, `control: D=${dc.toFixed(4)} crit=${critc.toFixed(4)}`].join('\n'));
  assert.equal(report.length, CLASSES.length);
});

test('leak test control: without masks, the witness-aware classes expose the witness (the statistic has power)', () => {
  const { sys, w1, w2 } = witnesses();
  const s = codeShape(params);
  const zero = new Uint32Array(MASK_ROWS * s.L); // a valid but non-hiding choice of masks
  const x: number[][] = [[], []];
  const y: number[][] = [[], []];
  for (let run = 0; run < 40; run++) {
    const a = proveRecorded(w1, sys, 40_000 + run, zero);
    const b = proveRecorded(w2, sys, 50_000 + run, zero);
    assert.ok(verifyFresh(a.commitment, sys, a.proof).ok, 'unmasked proofs still verify');
    const wa = witnessAware(a.proof, a.drawn, sys, w1);
    const wb = witnessAware(b.proof, b.drawn, sys, w1);
    wa.p0.forEach((v) => x[0].push(v));
    wb.p0.forEach((v) => y[0].push(v));
    wa.lin.forEach((v) => x[1].push(v));
    wb.lin.forEach((v) => y[1].push(v));
  }
  for (const i of [0, 1]) {
    const d = ks(Uint32Array.from(x[i]), Uint32Array.from(y[i]));
    assert.ok(d > 10 * ksCritical(x[i].length, y[i].length), `class ${i}: D = ${d}`);
    assert.ok(x[i].every((v) => v === 0), 'unmasked proofs of w1 cancel exactly');
  }
});
