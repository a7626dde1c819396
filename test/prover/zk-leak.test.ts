/**
 * Zero knowledge of whole receipts (docs/zero-knowledge.md §2, issue 15's Tests): what a
 * zero-knowledge receipt reveals does not depend on the weights, and a simulator that never sees
 * them produces receipts the verifier accepts, indistinguishable from real ones.
 *
 * The two parameter sets. One MLP description (Gemm 4→8, Relu, Gemm 8→2: layers, shapes,
 * exponents, shifts and bias limb counts equal, so the description bytes are equal — asserted),
 * two weight sets with the same quantized output on the public input: B permutes A's hidden
 * units, and gives the units that are dead under Relu for this input other weights (extreme
 * int8 values, so B's weight histogram, which a clear receipt's range proof reveals, differs).
 *
 * Samples. RUNS receipts per set, each under a fresh zero-knowledge commitment (its own seed,
 * an opening budget of one receipt), all with the same input and the same per-run contexts.
 * Every revealed value is extracted by class (`test/support/zk-receipt-sim.ts`): the commitment
 * roots; the range proof's and the body's padded round messages and evaluation claims (as the
 * verifier's replay reads them); the final Ligero proof's test polynomials P0, Q_lin, Q_quad/Z_H,
 * the opened columns of each tree, the salts, the Merkle nodes and root B. Classes whose length
 * varies with the number of distinct opened columns are cut to the shortest run; bytes are
 * spread onto [0, p) (b ↦ (b + ½)·p/256) so one screen serves both kinds.
 *
 * The screen (`screenClasses`), for each class: pooled over runs (≤ POOL positions per run), a
 * χ² and a KS two-sample test and a χ² uniformity test of each side; per position (≤ POSITIONS
 * evenly spaced positions), `screenTwoSamples` with 8 bins (a χ² and a KS two-sample test and a
 * χ² uniformity test of each side). A comparison passes when every p-value stays above
 * FILE_ALPHA / (COMPARISONS · its number of tests): by Bonferroni, the nominal false-alarm rate
 * of the whole file is FILE_ALPHA = 10^−3 (nominal: the p-values are asymptotic ones). The
 * parameter commitments and range proofs come from fixed seeds (`seedOf`), so that part of the
 * outcome is fixed; the witness commitments, bodies and Ligero proofs use the prover's fresh
 * randomness, so each run of the file draws them anew (the simulator's come from fixed seeds).
 * The raw screen (`screenRaw`) tests every receipt blob (commitments, range
 * proof, proof) byte by byte at ≤ POSITIONS positions per blob, two-sample tests only (the
 * blobs' headers are constant).
 *
 * Tests.
 *  1. Leak test: zero-knowledge receipts of A and B pass the class screen and the raw screen.
 *  2. Positive control: the raw screen tells clear receipts (`commitModel(model)`) of A and B
 *     apart — the extraction and the screen have power, so test 1 could fail.
 *  3. Simulator: simulated receipts (no weights; the challenges programmed through the verifier's
 *     test-only `ZkTranscriptSeam`) are accepted, the same receipt with a changed output or a
 *     changed challenge is rejected, the Fiat–Shamir verifier rejects it (it needed the
 *     programming), its messages have the real layout, and the class screen cannot tell
 *     simulated receipts from real ones.
 *  4. Private input: receipts of one model (C, below) on two inputs with one output, the input
 *     committed (`committed: { inputs: true }`), pass the class screen (the io commitment's root and
 *     opened columns included) and the raw screen (the io commitment blob included).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, floatTensor, node } from '../../src/model/onnx-writer.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { quantizeInput, runQuantized } from '../../src/quantize/infer.js';
import type { GemmLayer, QuantizedModel } from '../../src/quantize/layers.js';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { decodeReceipt, encodeReceipt } from '../../src/verifier/receipt.js';
import { P } from '../../src/field/babybear.js';
import { sha256 } from '../../src/hash/sha256.js';
import { chiSquareTwoSample, chiSquareUniform, ksTwoSample, screenTwoSamples, SCREEN_BINS } from '../support/stats.js';
import { Rng } from '../support/random.js';
import { seeded } from '../pcs/zk-ligero-support.js';
import { seededRandom } from '../../src/pcs/zk-ligero-masks.js';
import { revealedValues, simulateReceipt, verifyWithSeam, type Revealed } from '../support/zk-receipt-sim.js';

const RUNS = 64;
const POOL = 512;
const POSITIONS = 32;
const POSITION_BINS = 8;
const FILE_ALPHA = 1e-3;
/** the comparisons the file makes: A vs B (classes, raw), real vs simulated (classes), private input P vs Q (classes, raw) */
const COMPARISONS = 5;

// ---- the two parameter sets ------------------------------------------------------------------------

const X = [0.61, -0.93, 0.27, 0.84];
const K = 4, H = 8, O = 2;

/** The description's skeleton: a compiled 4→8→2 MLP whose integers are then set by hand. */
function skeleton(): QuantizedModel {
  const f = (n: number, s: number) => Array.from({ length: n }, (_, i) => 0.5 * Math.sin(1.7 * i + s));
  const spec = {
    inputs: [{ name: 'x', dims: [1, K] }],
    outputs: ['y'],
    nodes: [node('Gemm', ['x', 'w1', 'b1'], ['h'], { transB: 1 }), node('Relu', ['h'], ['r']), node('Gemm', ['r', 'w2', 'b2'], ['y'], { transB: 1 })],
    inits: [floatTensor('w1', [H, K], f(H * K, 1)), floatTensor('b1', [H], f(H, 2)), floatTensor('w2', [O, H], f(O * H, 3)), floatTensor('b2', [O], f(O, 4))],
  };
  return compileOnnx(buildModel(spec), [{ x: X }]).model;
}

function gemms(m: QuantizedModel): [GemmLayer, GemmLayer] {
  const g = m.layers.filter((l): l is GemmLayer => l.kind === 'gemm');
  return [g[0], g[1]];
}

/**
 * Sets the first Gemm's bias so that unit i's accumulator is `acc[i]` on the input, given its
 * weights (the requantisation divides by 2^7: h_i = round(acc_i / 128)).
 */
function setBias(l: GemmLayer, xq: Int32Array, acc: number[]): void {
  for (let i = 0; i < H; i++) {
    let d = 0;
    for (let k = 0; k < K; k++) d += xq[k] * l.w[i * K + k];
    l.bias![i] = acc[i] - d;
  }
}

/** The pair (A, B) described in the header. */
function parameterSets(): { a: QuantizedModel; b: QuantizedModel; dead: number[] } {
  const a = skeleton();
  const xq = quantizeInput(a, 'x', X, true);
  const r = new Rng(2024);
  const [g1, g2] = gemms(a);
  g1.shift.fill(7);
  g2.shift.fill(9);
  for (let i = 0; i < H * K; i++) g1.w[i] = r.int(81) - 40;
  for (let i = 0; i < O * H; i++) g2.w[i] = r.int(121) - 60;
  // units 0, 3, 6 are dead on the input (h ≤ 0, so Relu gives 0); the others alive
  const dead = [0, 3, 6];
  setBias(g1, xq, Array.from({ length: H }, (_, i) => 128 * (dead.includes(i) ? -(10 + r.int(90)) : 20 + r.int(90))));
  for (let n = 0; n < O; n++) g2.bias![n] = r.int(2001) - 1000;

  const b = structuredClone(a);
  const [h1, h2] = gemms(b);
  const perm = [5, 2, 7, 0, 4, 1, 3, 6]; // B's unit j is A's unit perm[j]
  for (let j = 0; j < H; j++) {
    for (let k = 0; k < K; k++) h1.w[j * K + k] = g1.w[perm[j] * K + k];
    h1.bias![j] = g1.bias![perm[j]];
    for (let n = 0; n < O; n++) h2.w[n * H + j] = g2.w[n * H + perm[j]];
  }
  const deadB = dead.map((i) => perm.indexOf(i));
  const acc: number[] = [];
  for (let j = 0; j < H; j++) {
    let d = 0;
    for (let k = 0; k < K; k++) d += xq[k] * h1.w[j * K + k];
    acc.push(d + h1.bias![j]);
  }
  for (const j of deadB) {
    for (let k = 0; k < K; k++) h1.w[j * K + k] = (j + k) % 2 === 0 ? 127 : -128;
    for (let n = 0; n < O; n++) h2.w[n * H + j] = n === 0 ? -128 : 127;
    acc[j] = -128 * (30 + r.int(60));
  }
  setBias(h1, xq, acc);
  return { a, b, dead: deadB };
}

const { a: MODEL_A, b: MODEL_B, dead: DEAD_B } = parameterSets();
const INPUT = { x: X };
const CONTEXTS = Array.from({ length: RUNS }, (_, i) => `leak-run-${i}`);

function seedOf(set: string, run: number): Uint8Array {
  return sha256(new TextEncoder().encode(`zk-leak/${set}/${run}`));
}

/** RUNS zero-knowledge receipts of a model, each under a fresh commitment; `privateInput`: the input committed, not public. */
function zkReceipts(model: QuantizedModel, set: string, input: Record<string, number[]> = INPUT, privateInput = false): { receipts: Uint8Array[]; modelIds: string[] } {
  const receipts: Uint8Array[] = [];
  const modelIds: string[] = [];
  for (let run = 0; run < RUNS; run++) {
    const cm = commitModel(model, { zk: { openings: 1, seed: seedOf(set, run) } });
    receipts.push(prove(cm, input, { context: CONTEXTS[run], committed: privateInput ? { inputs: true } : undefined }).receipt);
    modelIds.push(cm.modelId);
  }
  return { receipts, modelIds };
}

let zkCache: { a: ReturnType<typeof zkReceipts>; b: ReturnType<typeof zkReceipts> } | undefined;
function zkSamples() {
  return (zkCache ??= { a: zkReceipts(MODEL_A, 'A'), b: zkReceipts(MODEL_B, 'B') });
}

// ---- the screens -----------------------------------------------------------------------------------

type Runs = number[][];

/** Spreads a byte onto [0, p): uniform bytes give uniform bins of the screens. */
const spread = (b: number): number => Math.floor(((b + 0.5) * P) / 256);

/** Revealed values by class, one row per run, cut to the shortest run. */
function byClass(rs: Revealed[]): Map<string, Runs> {
  const out = new Map<string, Runs>();
  for (const [kind, get] of [['field', (r: Revealed) => r.field], ['bytes', (r: Revealed) => r.bytes]] as const) {
    for (const name of get(rs[0]).keys()) {
      const rows = rs.map((r) => get(r).get(name)!);
      const len = Math.min(...rows.map((x) => x.length));
      out.set(name, rows.map((x) => (kind === 'bytes' ? x.slice(0, len).map(spread) : x.slice(0, len))));
    }
  }
  return out;
}

/** `count` evenly spaced positions of [0, len). */
function positions(len: number, count: number): number[] {
  if (len <= count) return Array.from({ length: len }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.floor(((i + 0.5) * len) / count));
}

interface Finding {
  test: string;
  p: number;
}

/**
 * Per-position two-sample tests (χ² on 8 bins, KS) of `fa` vs `fb`; with `uniform`, also a χ²
 * uniformity test of each side. `screenTwoSamples` is the uniform variant.
 */
function perPosition(name: string, fa: Runs, fb: Runs, uniform: boolean): { findings: Finding[]; tests: number } {
  const cols = positions(fa[0].length, POSITIONS);
  const pick = (rows: Runs) => rows.map((r) => cols.map((c) => r[c]));
  const [xa, xb] = [pick(fa), pick(fb)];
  if (uniform) {
    const s = screenTwoSamples(xa, xb, POSITION_BINS);
    return { findings: [{ test: `${name}: ${s.where}`, p: s.minP }], tests: 4 * cols.length };
  }
  const findings: Finding[] = [];
  for (let k = 0; k < cols.length; k++) {
    const a = xa.map((r) => r[k]), b = xb.map((r) => r[k]);
    findings.push({ test: `${name}: χ² two-sample, position ${cols[k]}`, p: chiSquareTwoSample(a, b, POSITION_BINS) });
    findings.push({ test: `${name}: KS two-sample, position ${cols[k]}`, p: ksTwoSample(a, b) });
  }
  return { findings, tests: 2 * cols.length };
}

/** Pooled tests of one class: values of ≤ POOL positions of every run. */
function pooled(name: string, fa: Runs, fb: Runs): Finding[] {
  const cols = positions(fa[0].length, POOL);
  const pool = (rows: Runs) => rows.flatMap((r) => cols.map((c) => r[c]));
  const [a, b] = [pool(fa), pool(fb)];
  return [
    { test: `${name}: pooled χ² two-sample`, p: chiSquareTwoSample(a, b, SCREEN_BINS) },
    { test: `${name}: pooled KS two-sample`, p: ksTwoSample(a, b) },
    { test: `${name}: pooled χ² uniform (first)`, p: chiSquareUniform(a, SCREEN_BINS) },
    { test: `${name}: pooled χ² uniform (second)`, p: chiSquareUniform(b, SCREEN_BINS) },
  ];
}

interface Screen {
  /** the smallest p-value and its test */
  min: Finding;
  /** the level every p-value must stay above: FILE_ALPHA / (COMPARISONS · tests) */
  level: number;
  classes: number;
  findings: Finding[];
}

function smallest(findings: Finding[]): Finding {
  return findings.reduce((m, f) => (f.p < m.p ? f : m), { test: '', p: 1 });
}

function summarize(findings: Finding[], tests: number, classes: number): Screen {
  return { min: smallest(findings), level: FILE_ALPHA / (COMPARISONS * tests), classes, findings };
}

/** The class screen (see the header) of two lists of zero-knowledge receipts. */
function screenClasses(ra: Uint8Array[], rb: Uint8Array[]): Screen {
  const [ca, cb] = [byClass(ra.map(revealedValues)), byClass(rb.map(revealedValues))];
  assert.deepEqual([...ca.keys()], [...cb.keys()]);
  const findings: Finding[] = [];
  let tests = 0;
  for (const [name, fa] of ca) {
    const fb = cb.get(name)!;
    const len = Math.min(fa[0].length, fb[0].length);
    const [xa, xb] = [fa.map((r) => r.slice(0, len)), fb.map((r) => r.slice(0, len))];
    findings.push(...pooled(name, xa, xb));
    const pp = perPosition(name, xa, xb, true);
    findings.push(...pp.findings);
    tests += 4 + pp.tests;
  }
  return summarize(findings, tests, ca.size);
}

/** The raw screen: each blob of the receipt, byte by byte (two-sample tests only). */
function screenRaw(ra: Uint8Array[], rb: Uint8Array[]): Screen {
  const blobs = (bytes: Uint8Array) => {
    const rc = decodeReceipt(bytes);
    const blobs: Record<string, Uint8Array> = { 'parameter commitment': rc.paramCommitment, 'parameter range proof': rc.paramRange, 'witness commitment': rc.witnessCommitment, proof: rc.proof };
    if (rc.committed) blobs['io commitment'] = rc.committed.commitment;
    return blobs;
  };
  const [ba, bb] = [ra.map(blobs), rb.map(blobs)];
  const findings: Finding[] = [];
  let tests = 0;
  for (const name of Object.keys(ba[0])) {
    const len = Math.min(...[...ba, ...bb].map((x) => x[name].length));
    const rows = (xs: typeof ba) => xs.map((x) => Array.from(x[name].subarray(0, len), spread));
    const pp = perPosition(name, rows(ba), rows(bb), false);
    findings.push(...pp.findings);
    tests += pp.tests;
  }
  return summarize(findings, tests, Object.keys(ba[0]).length);
}

function passes(s: Screen, what: string): void {
  assert.ok(s.min.p >= s.level, `${what}: ${s.min.test} gives p = ${s.min.p.toExponential(2)} < ${s.level.toExponential(2)}`);
  if (process.env.ZK_LEAK_REPORT) console.log(`${what}: ${s.classes} classes, min p = ${s.min.p.toExponential(2)} (${s.min.test}), level ${s.level.toExponential(2)}`);
}

// ---- tests -----------------------------------------------------------------------------------------

test('the two parameter sets: one description, one output on the input, different weights and weight histograms', () => {
  const ca = commitModel(MODEL_A);
  const cb = commitModel(MODEL_B);
  assert.deepEqual(cb.descriptionBytes, ca.descriptionBytes, 'the same description (layers, shapes, scales, shifts, limbs)');
  const ya = runQuantized(MODEL_A, INPUT).outputs[0].q;
  const yb = runQuantized(MODEL_B, INPUT).outputs[0].q;
  assert.deepEqual(Array.from(yb), Array.from(ya), 'the same quantized output');
  assert.ok(ya.some((v) => v !== 0), 'a non-trivial output');
  const h = runQuantized(MODEL_B, INPUT, { trace: true }).trace.get('r')!;
  for (const j of DEAD_B) assert.equal(h[j], 0, `B's unit ${j} is dead on the input`);
  const hist = (m: QuantizedModel) => gemms(m).flatMap((l) => Array.from(l.w)).sort((u, v) => u - v);
  assert.notDeepEqual(hist(MODEL_B), hist(MODEL_A), 'the weight histograms differ');
  assert.notDeepEqual(cb.paramRange, ca.paramRange, 'so the clear range proofs differ');
  const zr = prove(commitModel(MODEL_B, { zk: { openings: 1, seed: seedOf('check', 0) } }), INPUT).receipt;
  const v = verifyReceipt(zr, decodeReceipt(zr).modelId, INPUT);
  assert.ok(v.ok && v.outputs[0].q.every((q, i) => q === ya[i]), 'B’s zero-knowledge receipt verifies with the common output');
});

test(`leak test: the revealed values of zero-knowledge receipts of the two parameter sets are alike, class by class (${RUNS} receipts each, file-wide α = ${FILE_ALPHA})`, () => {
  const { a, b } = zkSamples();
  for (const [i, r] of [a.receipts[0], b.receipts[0]].entries()) {
    const v = verifyReceipt(r, [a, b][i].modelIds[0], INPUT, { context: CONTEXTS[0] });
    assert.ok(v.ok, v.ok ? '' : v.error.message);
  }
  passes(screenClasses(a.receipts, b.receipts), 'classes, A vs B');
  passes(screenRaw(a.receipts, b.receipts), 'raw blobs, A vs B');
});

test('positive control: the raw screen tells clear receipts of the two parameter sets apart', () => {
  const receipts = (m: QuantizedModel) => {
    const cm = commitModel(m);
    return CONTEXTS.map((context) => prove(cm, INPUT, { context }).receipt);
  };
  const s = screenRaw(receipts(MODEL_A), receipts(MODEL_B));
  assert.ok(s.min.p < s.level * 1e-6, `clear receipts must be told apart: min p = ${s.min.p} (${s.min.test}), level ${s.level}`);
  // and by the range proof alone (its multiplicities are the weight histogram)
  const range = smallest(s.findings.filter((f) => f.test.startsWith('parameter range proof')));
  assert.ok(range.p < s.level * 1e-6, `the clear range proofs must be told apart: min p = ${range.p} (${range.test})`);
  if (process.env.ZK_LEAK_REPORT) console.log(`control: min p = ${s.min.p.toExponential(2)} (${s.min.test})`);
});

test('simulator: receipts made without the weights verify under programmed challenges and are indistinguishable from real ones', () => {
  const { a, b } = zkSamples();
  const rc = decodeReceipt(a.receipts[0]);
  const statement = (run: number) => ({ description: rc.description, pcs: rc.pcs, context: new TextEncoder().encode(CONTEXTS[run]), inputs: rc.inputs, outputs: rc.outputs, openings: 1 });
  const first = simulateReceipt(statement(0), seeded(1));
  const ok = verifyWithSeam(first.receipt, first.seam);
  assert.ok(ok.ok, ok.ok ? '' : `${ok.error.kind}: ${ok.error.message}`);
  assert.deepEqual(revealedValues(first.receipt).labels, revealedValues(a.receipts[0]).labels, 'the simulated messages have the real layout');

  // the programmed verifier still checks: another output, or another challenge, is rejected
  const again = () => simulateReceipt(statement(0), seeded(1));
  const sr = decodeReceipt(first.receipt);
  const out = sr.outputs.map((t) => ({ ...t, values: Int32Array.from(t.values, (v, i) => (i === 0 ? v + 1 : v)) }));
  const changedOutput = verifyWithSeam(encodeReceipt({ ...sr, outputs: out }), again().seam);
  assert.equal(changedOutput.ok, false, 'a simulated receipt with a changed output');
  const twisted = again();
  const gamma = twisted.seam.receipt.programmed.get('zkl/proximity')!;
  twisted.seam.receipt.reprogram('zkl/proximity', Uint32Array.from(gamma, (x, i) => (i === 0 ? (x + 1) % P : x)));
  assert.equal(verifyWithSeam(twisted.receipt, twisted.seam).ok, false, 'a simulated receipt under another proximity challenge');
  const fs = verifyReceipt(first.receipt, sr.modelId, INPUT, { context: CONTEXTS[0] });
  assert.equal(fs.ok, false, 'the Fiat–Shamir verifier rejects a simulated receipt');

  const sims: Uint8Array[] = [];
  for (let run = 0; run < RUNS; run++) {
    const s = simulateReceipt(statement(run), seededRandom(seedOf('simulator', run)));
    if (run < 2) assert.ok(verifyWithSeam(s.receipt, s.seam).ok);
    sims.push(s.receipt);
  }
  const real = a.receipts.map((r, i) => (i % 2 === 0 ? r : b.receipts[i]));
  passes(screenClasses(real, sims), 'classes, real vs simulated');
});

// ---- a private input ---------------------------------------------------------------------------------

/**
 * Model C is A with the first Gemm's weights on input entry 3 zeroed, so that x_3 never reaches the
 * output: inputs P and Q, which differ only there (0.84 and −0.84), give one quantized output. A
 * receipt with the input private then must reveal nothing that depends on which of the two it
 * proves: its io commitment holds x, and every other value it reveals is padded or hiding.
 */
const MODEL_C = (() => {
  const c = structuredClone(MODEL_A);
  const [g1] = gemms(c);
  for (let i = 0; i < H; i++) g1.w[i * K + 3] = 0;
  return c;
})();
const INPUT_P = { x: X };
const INPUT_Q = { x: [X[0], X[1], X[2], -X[3]] };

test(`leak test, private input: receipts of two inputs with one output are alike, class by class (${RUNS} receipts each)`, () => {
  const yp = runQuantized(MODEL_C, INPUT_P).outputs[0].q;
  assert.deepEqual(Array.from(runQuantized(MODEL_C, INPUT_Q).outputs[0].q), Array.from(yp), 'P and Q give one quantized output');
  assert.notDeepEqual(Array.from(quantizeInput(MODEL_C, 'x', INPUT_Q.x, true)), Array.from(quantizeInput(MODEL_C, 'x', INPUT_P.x, true)), 'the quantized inputs differ');
  // the same parameter commitment per run on both sides: only the input differs
  const p = zkReceipts(MODEL_C, 'C', INPUT_P, true);
  const q = zkReceipts(MODEL_C, 'C', INPUT_Q, true);
  for (const [i, r] of [p.receipts[0], q.receipts[0]].entries()) {
    const v = verifyReceipt(r, [p, q][i].modelIds[0], undefined, { context: CONTEXTS[0] });
    assert.ok(v.ok, v.ok ? '' : v.error.message);
    assert.deepEqual(v.visibility.inputs, { x: 'private' });
    assert.equal(decodeReceipt(r).inputs.length, 0, 'the input is not in the receipt');
  }
  const classes = screenClasses(p.receipts, q.receipts);
  assert.ok(classes.findings.some((f) => f.test.startsWith('columns A[io]')), 'the io commitment’s opened columns are screened');
  passes(classes, 'classes, private input P vs Q');
  passes(screenRaw(p.receipts, q.receipts), 'raw blobs, private input P vs Q');
});
