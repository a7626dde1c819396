/**
 * Zero knowledge of a zero-knowledge Ligero proof over two commitments (the argument of
 * src/pcs/zk-ligero.ts's header, for the rows of trees A_0, A_1 and B as one matrix), following
 * zk-ligero-zk.test.ts.
 *
 * Simulator (`simulateMulti`, ./zk-ligero-support.ts; the receipt simulator reuses it). Without
 * the witness, from the statement, the lengths and the parameters only: uniform challenges
 * (programmed), uniform openings of every row of both trees A, of the copy rows and of the free
 * mask rows (b, c1), the test polynomials uniform on their constraint spaces, the openings of a,
 * c0 and m solved from the column identities, random salts and random unopened leaves, for both
 * trees A and for B. The real multi verifier accepts it.
 *
 * Leak test. The commitments: a long-lived one (250 entries, k = 2t + 2) and a witness (200
 * entries, k = t + 2), so vector 1 starts mid-row (its tensor segment is two separable groups).
 * The system spans both: a Hadamard block with x, y in vector 0 and z in vector 1, sparse
 * constraints with entries in both, a tensor segment in vector 1. Two witnesses satisfy it and
 * differ in every entry. Over 300 seeded proofs of each, every class of revealed value — the
 * opened entries of tree A_0, of tree A_1, of the copy rows, of the free and the solved mask
 * rows, the salts, each test polynomial, and the two witness-aware classes (w1's contribution
 * removed on H) — is compared by a two-sample KS test at α = 10^−6 per class and comparison
 * (Bonferroni: 2.2·10^−5 for the test under independent samples), between the witnesses and
 * against the simulator. Seeds are fixed, so the outcome is deterministic. Controls: the plain
 * codewords of both vectors' rows at the same positions are separated, and with the masks set to
 * zero the witness-aware classes are exactly zero for w1 and separated from w2's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mul, sub } from '../../src/field/babybear.js';
import { type Ext, ext, extAdd, extMul, extMulBase, extSub } from '../../src/field/extension.js';
import { kernels } from '../../src/field/active.js';
import { eqTable } from '../../src/poly/multilinear.js';
import { checkConstraints, type ConstraintSystem } from '../../src/pcs/constraints.js';
import { absorbZkCommitment, commitZkLigero, proveZkLigeroMulti, verifyZkLigeroMulti, type ZkLigeroMultiProof } from '../../src/pcs/zk-ligero.js';
import { cosetEvaluateRows } from '../../src/pcs/zk-ligero-code.js';
import { MASK_ROWS, ROW_LIN_A, ROW_LIN_B, ROW_QUAD_0, ROW_QUAD_1 } from '../../src/pcs/zk-ligero-masks.js';
import { codeShape, sharedCodeParams, type ZkLigeroParams } from '../../src/pcs/zk-ligero-params.js';
import { hadamardRows, linearTerms, linearWeights, numLinearConstraints, vectorLayout } from '../../src/pcs/zk-ligero-system.js';
import { Rng } from '../support/random.js';
import { GOLDEN_LABELS, ks, ksCritical, onH, PROTOCOL, RecordingTranscript, satisfiedSystem, seeded, simulateMulti, smallParams, solveFour, splitVector, verifyMultiFresh } from './zk-ligero-support.js';

function verifySimulated(sim: ReturnType<typeof simulateMulti>, sys: ConstraintSystem) {
  return verifyZkLigeroMulti(sim.commitments, sys, sim.proof, sim.tr, { minBits: 0 });
}

// ---- witnesses -----------------------------------------------------------------------------------

const LENGTHS = [250, 200];
const TOTAL = 450;
const T = 6;
const PARAMS: ZkLigeroParams[] = [smallParams(4, T, T + 2), smallParams(4, T, 2)]; // C = 16, k = 14 and 8, N = 128 for both
const SHAPE = codeShape(sharedCodeParams(PARAMS));
const LAYOUT = vectorLayout(LENGTHS, 4);

/**
 * The system and two witnesses: w2 random, w1 another solution of every constraint and zero on
 * the free entries. Constrained: x = [0, 16), y = [16, 32) in vector 0 and z = [256, 272) in
 * vector 1; sparse constraints on [48, 66) ∪ [280, 298); the segment [320, 384) of vector 1.
 */
function witnesses(): { sys: ConstraintSystem; w1: Uint32Array; w2: Uint32Array } {
  const r = new Rng(177);
  const w2 = r.baseVec(TOTAL);
  const sys = satisfiedSystem(r, w2, { hadamard: [[0, 16, 256, 16]] });
  sys.linear = [0, 1, 2].map((c) => {
    const index = Uint32Array.from({ length: 6 }, (_, i) => (i < 3 ? 48 + 6 * c + i : 280 + 6 * c + i));
    const coeffs = r.extVec(6);
    let rhs: Ext = ext();
    index.forEach((e, i) => (rhs = extAdd(rhs, extMulBase(coeffs.subarray(4 * i, 4 * i + 4), w2[e]))));
    return { index, coeffs, rhs };
  });
  const point = r.extVec(6);
  const eq = eqTable(point);
  sys.tensor = [{ offset: 320, numVars: 6, point, extra: { index: new Uint32Array(0), coeffs: new Uint32Array(0) }, rhs: kernels().extDotBase(eq, w2.subarray(320, 384)) }];
  const w1 = new Uint32Array(TOTAL);
  for (let i = 0; i < 16; i++) {
    w1[i] = r.field();
    w1[16 + i] = r.field();
    w1[256 + i] = mul(w1[i], w1[16 + i]);
  }
  for (const c of sys.linear) {
    for (let i = 4; i < 6; i++) w1[c.index[i]] = r.field();
    solveFour(w1, c.index, c.coeffs, c.rhs);
  }
  for (let i = 324; i < 384; i++) w1[i] = r.field();
  solveFour(w1, Array.from({ length: 64 }, (_, i) => 320 + i), eq, sys.tensor[0].rhs);
  assert.equal(checkConstraints(w1, sys), null);
  assert.equal(checkConstraints(w2, sys), null);
  for (let i = 0; i < TOTAL; i++) assert.notEqual(w1[i], w2[i], `entry ${i} differs`);
  return { sys, w1, w2 };
}

// ---- samples -------------------------------------------------------------------------------------

const CLASSES = [
  'tree A[0] entries',
  'tree A[1] entries',
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

function emptySamples(): Samples {
  return Object.fromEntries(CLASSES.map((c) => [c, [] as number[]])) as Samples;
}

function collect(into: Samples, proof: ZkLigeroMultiProof): void {
  proof.a[0].columns.forEach((v) => into['tree A[0] entries'].push(v));
  proof.a[1].columns.forEach((v) => into['tree A[1] entries'].push(v));
  const rowsB = proof.rowsB;
  const q = proof.b.columns.length / rowsB;
  for (let i = 0; i < q; i++) {
    const col = proof.b.columns.subarray(i * rowsB, (i + 1) * rowsB);
    for (let r = MASK_ROWS; r < rowsB; r++) into['copy-row entries'].push(col[r]);
    for (let c = 0; c < 4; c++) {
      into['free mask entries (b, c1)'].push(col[ROW_LIN_B + c], col[ROW_QUAD_1 + c]);
      into['solved mask entries (m, a, c0)'].push(col[c], col[ROW_LIN_A + c], col[ROW_QUAD_0 + c]);
    }
  }
  for (const o of [...proof.a, proof.b]) o.salts.forEach((b) => into.salts.push(b));
  proof.p0.forEach((v) => into.P0.push(v));
  proof.qLin.subarray(4).forEach((v) => into['Q_lin (no constant)'].push(v));
  const { C } = SHAPE;
  const gLen = SHAPE.quadDegree - C;
  const g = new Uint32Array(4 * gLen);
  for (let i = 0; i < gLen; i++) for (let c = 0; c < 4; c++) g[4 * i + c] = sub(i >= C ? g[4 * (i - C) + c] : 0, proof.qQuad[4 * i + c]);
  g.forEach((v) => into['Q_quad / Z_H'].push(v));
}

/** w1's contribution removed from P0 and Q_lin on H (see zk-ligero-zk.test.ts), with both trees A in the message matrix. */
function witnessAware(proof: ZkLigeroMultiProof, drawn: Map<string, Uint32Array>, sys: ConstraintSystem, w1: Uint32Array): { p0: Uint32Array; lin: Uint32Array } {
  const { C, logC } = SHAPE;
  const rowsA = LAYOUT.rowBases[2];
  const rows = rowsA + proof.rowsB;
  const M1 = new Uint32Array(rows * C);
  for (const [i, part] of splitVector(w1, LENGTHS).entries()) M1.set(part, LAYOUT.rowBases[i] * C);
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
  const terms = linearTerms(sys, { logC, rowsA, rows, layout: LAYOUT }, linearWeights(drawn.get('zkl/linear-scale')!, drawn.get('zkl/linear')!, numLinearConstraints(sys)));
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
  const made = splitVector(w, LENGTHS).map((part, i) => commitZkLigero(part, PARAMS[i], seeded(seed + 7 * i)));
  const commitments = made.map((m) => m.commitment);
  const tr = new RecordingTranscript(PROTOCOL);
  for (const c of commitments) absorbZkCommitment(tr, c);
  const proof = proveZkLigeroMulti(
    made.map((m) => m.data),
    sys,
    tr,
    masks ? { masks } : {},
  );
  return { commitments, proof, drawn: tr.drawn };
}

// ---- tests ---------------------------------------------------------------------------------------

test('simulator: two-commitment proofs made without the witness, with programmed challenges, verify', () => {
  const { sys } = witnesses();
  const sim = simulateMulti(LENGTHS, sys, PARAMS, seeded(5));
  const res = verifySimulated(sim, sys);
  assert.ok(res.ok, JSON.stringify(!res.ok && res.error));
  assert.deepEqual(sim.tr.labels, GOLDEN_LABELS.slice(6), 'the programmed oracle is queried in the real order');
  // and a simulated proof of this statement does not verify for a changed one
  const lie = { ...sys, linear: sys.linear.map((c, k) => (k === 0 ? { ...c, rhs: extAdd(c.rhs, ext(1)) } : c)) };
  assert.equal(verifySimulated(simulateMulti(LENGTHS, sys, PARAMS, seeded(5)), lie).ok, false);
});

test('leak test, two commitments: every class of revealed value is distributed alike for two witnesses and the simulator (KS, α = 1e-6 per class)', () => {
  const { sys, w1, w2 } = witnesses();
  const runs = 300;
  const s1 = emptySamples();
  const s2 = emptySamples();
  const s3 = emptySamples();
  const control: number[][] = [[], []];
  const plain = (w: Uint32Array) =>
    splitVector(w, LENGTHS).map((part) => {
      const rowsI = Math.ceil(part.length / SHAPE.C);
      const m = new Uint32Array(rowsI * SHAPE.C);
      m.set(part);
      kernels().nttBatch(m, rowsI, SHAPE.logC, true);
      return cosetEvaluateRows(m, rowsI, SHAPE.C, SHAPE.logN);
    });
  const plain1 = plain(w1);
  const plain2 = plain(w2);
  for (let run = 0; run < runs; run++) {
    const a = proveRecorded(w1, sys, 10_000 + run);
    const b = proveRecorded(w2, sys, 20_000 + run);
    if (run < 3) {
      assert.ok(verifyMultiFresh(a.commitments, sys, a.proof).ok);
      assert.ok(verifyMultiFresh(b.commitments, sys, b.proof).ok);
    }
    collect(s1, a.proof);
    collect(s2, b.proof);
    for (const [into, x] of [[s1, a], [s2, b]] as const) {
      const wa = witnessAware(x.proof, x.drawn, sys, w1);
      wa.p0.forEach((v) => into['P0 on H − γᵀ(w1)'].push(v));
      wa.lin.forEach((v) => into['Q_lin on H − ωᵀ(w1)'].push(v));
    }
    const sim = simulateMulti(LENGTHS, sys, PARAMS, seeded(30_000 + run));
    if (run < 3) assert.ok(verifySimulated(sim, sys).ok);
    collect(s3, sim.proof);
    const ws = witnessAware(sim.proof, sim.tr.programmed, sys, w1);
    ws.p0.forEach((v) => s3['P0 on H − γᵀ(w1)'].push(v));
    ws.lin.forEach((v) => s3['Q_lin on H − ωᵀ(w1)'].push(v));
    // control: the plain codewords of both vectors at t positions
    const pick = new Rng(run);
    const J = new Set<number>();
    for (let i = 0; i < SHAPE.t; i++) J.add(pick.int(SHAPE.N));
    for (const j of J) {
      for (const v of [0, 1]) {
        for (let r = 0; r < Math.ceil(LENGTHS[v] / SHAPE.C); r++) {
          control[0].push(plain1[v][r * SHAPE.N + j]);
          control[1].push(plain2[v][r * SHAPE.N + j]);
        }
      }
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
  const dc = ks(Uint32Array.from(control[0]), Uint32Array.from(control[1]));
  const critc = ksCritical(control[0].length, control[1].length);
  assert.ok(dc > 10 * critc, `control: plain codewords must be distinguishable, D = ${dc}, crit = ${critc}`);
  if (process.env.ZK_LEAK_REPORT) console.log([...report, `control: D=${dc.toFixed(4)} crit=${critc.toFixed(4)}`].join('\n'));
});

test('leak test control, two commitments: without masks the witness-aware classes expose the witness', () => {
  const { sys, w1, w2 } = witnesses();
  const zero = new Uint32Array(MASK_ROWS * SHAPE.L);
  const x: number[][] = [[], []];
  const y: number[][] = [[], []];
  for (let run = 0; run < 40; run++) {
    const a = proveRecorded(w1, sys, 40_000 + run, zero);
    const b = proveRecorded(w2, sys, 50_000 + run, zero);
    assert.ok(verifyMultiFresh(a.commitments, sys, a.proof).ok, 'unmasked proofs still verify');
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
