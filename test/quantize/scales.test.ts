/**
 * Scales that survive real weights and calibration that holds (issue 16 items 5 and 6), on
 * generated ONNX models: near-zero weights (1e-15, denormals) and constant channels compile,
 * prove and verify within tolerance instead of overflowing a constant or being refused as "could
 * wrap"; a model whose integer rounding saturates a reduction on its own calibration input
 * (a softmax decomposition over large logits) and a LayerNorm decomposition with a nearly
 * constant row (√variance rounds to 0) both prove that input; compile warns, naming the output,
 * when the integer model is outside tolerance on its calibration data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileOnnx } from '../../src/quantize/compile.js';
import { runQuantized } from '../../src/quantize/infer.js';
import { SHIFT_MAX } from '../../src/quantize/lowering.js';
import type { QuantizedModel } from '../../src/quantize/layers.js';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { buildModel, ftensor, itensor, node, rand } from '../model/onnx-builder.js';

type Input = Record<string, number[]>;

/** Compiles on `input`, proves that input and verifies the receipt; returns the compile result. */
function compileProveVerify(onnx: Uint8Array, input: Input) {
  const r = compileOnnx(onnx, [input]);
  const cm = commitModel(r.model);
  const { receipt } = prove(cm, input);
  const v = verifyReceipt(receipt, cm.modelId, input);
  assert.ok(v.ok, v.ok ? '' : v.error.message);
  return r;
}

const maxShift = (m: QuantizedModel) => Math.max(...m.layers.flatMap((l) => (l.kind === 'gemm' || l.kind === 'conv' ? Array.from(l.shift) : [])));

test('MatMul with all weights 1e-15, then Add of a 0.5 bias vector: compiles, proves, output 0.5', () => {
  const K = 8, N = 4;
  const onnx = buildModel({
    inputs: [{ name: 'x', dims: [1, K] }],
    outputs: ['y'],
    nodes: [node('MatMul', ['x', 'w'], ['h']), node('Add', ['h', 'b'], ['y'])],
    inits: [ftensor('w', [K, N], new Array(K * N).fill(1e-15)), ftensor('b', [N], new Array(N).fill(0.5))],
  });
  const input = { x: Array.from(rand(K, 1)) };
  const r = compileProveVerify(onnx, input);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(Array.from(runQuantized(r.model, input).outputs[0].values), [0.5, 0.5, 0.5, 0.5]);
  // the 0.5 constant sits at a scale it fits, not at the near-zero product's 2^40
  for (const c of Object.values(r.model.consts)) assert.ok(c.exp <= 30, `constant at 2^${c.exp}`);
});

test('a near-zero MatMul added to an activation: the tiny operand is rescaled, not a relation that could wrap', () => {
  const K = 8;
  const onnx = buildModel({
    inputs: [{ name: 'x', dims: [1, K] }],
    outputs: ['y'],
    nodes: [node('MatMul', ['x', 'w'], ['h']), node('Add', ['h', 'x'], ['y'])],
    inits: [ftensor('w', [K, K], new Array(K * K).fill(1e-15))],
  });
  const r = compileProveVerify(onnx, { x: Array.from(rand(K, 2)) });
  assert.deepEqual(r.warnings, []);
  assert.ok(r.model.layers.some((l) => l.op === 'Rescale'), 'the 2^40 operand is rescaled before the sum');
  const sum = r.model.layers.find((l) => l.kind === 'sum')!;
  assert.ok(sum.kind === 'sum' && sum.div <= 2 ** 8, `sum divisor ${sum.kind === 'sum' ? sum.div : '?'}`);
});

/** Conv(3→4, 3×3, pad 1) whose output channel 0 has weights `w0` (the others random). */
function convWithChannel0(w0: number, bias: number[] | null): Uint8Array {
  const C = 3, Co = 4;
  const w = rand(Co * C * 9, 5, 0.3);
  for (let i = 0; i < C * 9; i++) w[i] = w0;
  return buildModel({
    inputs: [{ name: 'x', dims: [1, C, 6, 6] }],
    outputs: ['y'],
    nodes: [node('Conv', ['x', 'w', ...(bias ? ['b'] : [])], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })],
    inits: [ftensor('w', [Co, C, 3, 3], w), ...(bias ? [ftensor('b', [Co], bias)] : [])],
  });
}

for (const [what, w0] of [['1e-15', 1e-15], ['denormal (1e-40)', 1e-40]] as const) {
  test(`Conv with one output channel of ${what} weights: compiles, proves and verifies within tolerance`, () => {
    const r = compileProveVerify(convWithChannel0(w0, [0.1, 0.2, -0.1, 0.05]), { x: Array.from(rand(3 * 36, 2)) });
    assert.deepEqual(r.warnings, []);
    assert.ok(r.report[0].relL2 < 0.05, `relL2 ${r.report[0].relL2}`);
    assert.ok(maxShift(r.model) <= SHIFT_MAX, `shift ${maxShift(r.model)}`);
    const conv = r.model.layers.find((l) => l.kind === 'conv')!;
    assert.ok(conv.kind === 'conv' && conv.w.subarray(0, 27).every((v) => v === 0), 'the near-zero channel quantizes to zero weights');
  });
}

test('Conv with a constant-weight channel and an all-zero channel with a bias: within tolerance, proves', () => {
  const r = compileProveVerify(convWithChannel0(0.07, null), { x: Array.from(rand(3 * 36, 3)) });
  assert.deepEqual(r.warnings, []);
  const z = compileProveVerify(convWithChannel0(0, [3, 0.2, -0.1, 0.05]), { x: Array.from(rand(3 * 36, 4)) });
  assert.deepEqual(z.warnings, []);
  assert.ok(z.report[0].relL2 < 0.05, `relL2 ${z.report[0].relL2}`);
});

/** Softmax over rows of 4 as exported without the Softmax op: e = exp(x − max), y = e / Σe. */
function softmaxDecomposition(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [2, 4] }],
    outputs: ['y'],
    nodes: [
      node('ReduceMax', ['x'], ['m'], { axes: [1], keepdims: 1 }),
      node('Sub', ['x', 'm'], ['d']),
      node('Exp', ['d'], ['e']),
      node('ReduceSum', ['e', 'ax'], ['s'], { keepdims: 1 }),
      node('Div', ['e', 's'], ['y']),
    ],
    inits: [itensor('ax', [1], [1])],
  });
}

test('calibration headroom: a softmax decomposition over large logits saturates its ReduceSum unless widened; the calibration input proves', () => {
  // exp(x − max) rounds to 1 for every logit of the row [10000 … 10003] at the scale 10003 sets,
  // so the integer ReduceSum reaches 4 where the float one is ≈ 1.4
  const onnx = softmaxDecomposition();
  const input = { x: [1, 2, 3, 4, 10000, 10001, 10002, 10003] };
  const r = compileProveVerify(onnx, input);
  const s = r.model.tensors.find((t) => t.name === 's')!;
  const reached = r.model.calibration.s.maxQ;
  assert.ok(reached <= s.hi, `ReduceSum reaches ${reached} > ${s.hi} at 2^-${s.exp}`);
  assert.ok(r.model.calibration.s.maxAbs > 3, `the widened range ${r.model.calibration.s.maxAbs} covers the integer sum 4`);
  // the large-logit row cannot be represented in int8 at one scale: compile says so, naming the output
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], /^output 'y' is outside tolerance on the calibration input: rel\. L2 [0-9.e+-]+ \(tolerance 5e-2\)/);
});

test('calibration headroom: a LayerNorm decomposition (ReduceMean of squares) with a nearly constant row proves its calibration input', () => {
  const D = 16;
  const x = Array.from(rand(4 * D, 1, 2));
  for (let i = 0; i < D; i++) x[i] = 1 + 0.01 * x[i]; // row 0: variance ~1e-4, √(v + ε) below one step
  const onnx = buildModel({
    inputs: [{ name: 'x', dims: [1, 4, D] }],
    outputs: ['y'],
    nodes: [
      node('ReduceMean', ['x'], ['m'], { axes: [-1] }),
      node('Sub', ['x', 'm'], ['d']),
      node('Mul', ['d', 'd'], ['d2']),
      node('ReduceMean', ['d2'], ['v'], { axes: [-1] }),
      node('Add', ['v', 'eps'], ['ve']),
      node('Sqrt', ['ve'], ['s']),
      node('Div', ['d', 's'], ['y']),
    ],
    inits: [ftensor('eps', [1], [1e-5])],
  });
  const r = compileProveVerify(onnx, { x });
  assert.ok(r.model.layers.some((l) => l.name.includes('/nonzero:')), 'the divisor is kept away from 0');
  // rows 1–3 are normalized within tolerance; row 0 (1% of the others' spread) is below int8 resolution
  const got = runQuantized(r.model, { x }).outputs[0].values;
  const ref = (row: number) => {
    const v = x.slice(row * D, (row + 1) * D);
    const m = v.reduce((a, b) => a + b, 0) / D;
    const va = v.reduce((a, b) => a + (b - m) ** 2, 0) / D;
    return v.map((e) => (e - m) / Math.sqrt(va + 1e-5));
  };
  for (let row = 1; row < 4; row++) {
    const want = ref(row);
    const err = Math.sqrt(want.reduce((a, w, i) => a + (got[row * D + i] - w) ** 2, 0) / want.reduce((a, w) => a + w * w, 0));
    assert.ok(err < 0.05, `row ${row}: rel. L2 ${err}`);
  }
  assert.ok(r.warnings.some((w) => w.startsWith("output 'y' is outside tolerance")), r.warnings.join('; '));
});

test('the report and warnings cover every calibration sample, naming the one outside tolerance', () => {
  const onnx = softmaxDecomposition();
  const plain = { x: [1, 2, 3, 4, 0.5, -1, 2, 1] };
  assert.deepEqual(compileOnnx(onnx, [plain]).warnings, []);
  const r = compileOnnx(onnx, [plain, { x: [1, 2, 3, 4, 10000, 10001, 10002, 10003] }]);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], /^output 'y' is outside tolerance on calibration sample 2: /);
  assert.ok(r.report[0].relL2 > 0.05, 'the report row is the worst sample');
});
