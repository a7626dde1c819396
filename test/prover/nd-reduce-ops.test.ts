/**
 * Op coverage found on EZKL's example models beyond the fixtures: Trilu on activations (a causal
 * mask applied to scores), ReduceSumSquare/L1/L2/LogSumExp on activations (expanded into ops that
 * lower), and GatherND/ScatterND with constant and with run-time indices. Each model is generated,
 * checked against onnxruntime (or hand-computed ONNX semantics where onnxruntime takes non-float
 * feeds), proven and verified in clear and zero-knowledge receipts, and a forged witness on the new
 * part of the circuit is rejected in both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, ftensor, itensor, node, rand } from '../model/onnx-builder.js';
import { checkAgainstOrt, NO_ORT, ort } from '../model/ort-check.js';
import { DT } from '../../src/model/onnx-proto.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { runQuantized } from '../../src/quantize/infer.js';
import { bump, opHarness } from './harness.js';

const floats = (x: Float64Array | number[]) => Array.from(x, (v) => Math.fround(v));
const feed = (dims: number[], data: number[]) => ({ dims, data });
const tensorLike = (names: string[], part: string): string => {
  const t = names.find((n) => n.includes(part));
  assert.ok(t, `no circuit tensor containing '${part}' (have ${names.join(', ')})`);
  return t;
};
/**
 * `out = v + 0.25`: the op's own output v stays a committed witness, which is what a forgery must
 * change (a graph output's values are public: the verifier takes them from the receipt).
 */
const biased = (v: string, out: string) => node('Add', [v, 'quarter'], [out], {}, `${out}_bias`);
const quarter = ftensor('quarter', [], [0.25]);

/** the integer model's output values, each within one output step of `want` */
function assertOutputs(model: ReturnType<typeof compileOnnx>['model'], input: Record<string, number[]>, want: number[]): void {
  const out = runQuantized(model, Object.fromEntries(Object.entries(input).map(([k, v]) => [k, Float64Array.from(v)]))).outputs[0];
  const step = 2 ** -out.exp;
  assert.equal(out.values.length, want.length);
  want.forEach((w, i) => assert.ok(Math.abs(out.values[i] - w) <= step, `y[${i}] = ${out.values[i]}, want ${w} (step ${step})`));
}

// scores [1, 4, 4] masked to their lower triangle (k = 0) and strict upper triangle (k = 1)
function trilu(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [1, 4, 4] }],
    outputs: ['lo', 'up'],
    nodes: [node('Trilu', ['x'], ['l'], { upper: 0 }, 'tril'), node('Trilu', ['x', 'one'], ['u'], { upper: 1 }, 'triu'), biased('l', 'lo'), biased('u', 'up')],
    inits: [itensor('one', [], [1]), quarter],
  });
}
const triluInput = { x: floats(rand(16, 41, 2)) };

test('Trilu on activations: agrees with onnxruntime; proven; a forged masked entry is rejected', async (t) => {
  const h = opHarness(trilu(), [triluInput]);
  h.assertHonest();
  // position (0, 1) is above the diagonal: zero in 'lo'; (0, 0) is on it: zero in 'up' (k = 1)
  h.assertForgedRejected('l[0,1] = 1', (vals) => bump(vals, 'l', 1, 1));
  h.assertForgedRejected('u[0,0] = 1', (vals) => bump(vals, 'u', 0, 1));
  h.assertForgedRejected('l[1,0] + 1', (vals) => bump(vals, 'l', 4, 1));
  if (!ort) return t.skip(NO_ORT);
  await checkAgainstOrt(trilu(), { x: feed([1, 4, 4], triluInput.x) });
});

function reductions(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [2, 3, 4] }],
    outputs: ['ss', 'l1', 'l2', 'lse', 'lse_all'],
    inits: [quarter],
    nodes: [
      node('ReduceSumSquare', ['x'], ['ss'], { axes: [2], keepdims: 1 }, 'sumsq'),
      node('ReduceL1', ['x'], ['l1'], { axes: [1], keepdims: 0 }, 'l1'),
      node('ReduceL2', ['x'], ['l2v'], { axes: [-1], keepdims: 0 }, 'l2'),
      biased('l2v', 'l2'),
      node('ReduceLogSumExp', ['x'], ['lse'], { axes: [2], keepdims: 0 }, 'lse'),
      node('ReduceLogSumExp', ['x'], ['lse_all'], { keepdims: 1 }, 'lse_all'),
    ],
  });
}
const reduceInput = { x: floats(rand(24, 43, 1.5)) };

test('ReduceSumSquare, ReduceL1, ReduceL2, ReduceLogSumExp on activations: expanded, agree with onnxruntime', async (t) => {
  const r = compileOnnx(reductions(), [reduceInput]);
  const ops = new Set(r.prepared.graph.nodes.map((n) => n.opType));
  for (const composite of ['ReduceSumSquare', 'ReduceL1', 'ReduceL2', 'ReduceLogSumExp']) assert.ok(!ops.has(composite), `${composite} was not expanded`);
  if (!ort) return t.skip(NO_ORT);
  await checkAgainstOrt(reductions(), { x: feed([2, 3, 4], reduceInput.x) });
});

test('composite reductions: proven; a forged square, absolute value and shifted exponent are rejected', () => {
  const h = opHarness(reductions(), [reduceInput]);
  h.assertHonest();
  for (const part of ['sumsq/square', 'l1/abs', 'lse/exp']) {
    const v = tensorLike(h.tensors(), part);
    h.assertForgedRejected(`${v}+1`, (vals) => bump(vals, v, 0, 1));
  }
  h.assertForgedRejected('l2v+1', (vals) => bump(vals, 'l2v', 1, 1));
});

// data [2, 3, 4]; batch_dims 1: each batch picks rows of its own [3, 4]
function gatherNdConst(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [2, 3, 4] }],
    outputs: ['y'],
    nodes: [node('GatherND', ['x', 'idx'], ['g'], { batch_dims: 1 }, 'gnd'), biased('g', 'y')],
    inits: [itensor('idx', [2, 2, 1], [2, 0, -1, 1]), quarter],
  });
}
const ndInput = { x: floats(rand(24, 45, 1)) };

test('GatherND with constant indices (batch_dims 1, a negative index): agrees with onnxruntime; proven; a forged copy is rejected', async (t) => {
  const h = opHarness(gatherNdConst(), [ndInput]);
  h.assertHonest();
  h.assertForgedRejected('g+1', (vals) => bump(vals, 'g', 3, 1));
  if (!ort) return t.skip(NO_ORT);
  const r = await checkAgainstOrt(gatherNdConst(), { x: feed([2, 3, 4], ndInput.x) });
  assert.deepEqual(r.model.outputs[0].dims, [2, 2, 4]);
});

// run-time tuples (row, column) into x [3, 4, 2]: each picks a slice of 2
function gatherNdRuntime(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [3, 4, 2] }, { name: 'i', dims: [3, 2], dtype: DT.INT64 }],
    outputs: ['y'],
    nodes: [node('GatherND', ['x', 'i'], ['g'], {}, 'gnd'), biased('g', 'y')],
    inits: [quarter],
  });
}

test('GatherND with run-time indices: ONNX semantics, proven; a forged coordinate and a forged selection are rejected; out-of-range and negative coordinates are refused', () => {
  const input = { x: floats(rand(24, 47, 1)), i: [2, 3, 0, 0, 1, 2] };
  const r = compileOnnx(gatherNdRuntime(), [input]);
  const want = [0, 1, 2].flatMap((t) => [0, 1].map((e) => input.x[(input.i[2 * t] * 4 + input.i[2 * t + 1]) * 2 + e] + 0.25));
  assertOutputs(r.model, input, want);
  const h = opHarness(gatherNdRuntime(), [input]);
  h.assertHonest();
  h.assertForgedRejected('g+1', (vals) => bump(vals, 'g', 2, 1));
  const coordinate = tensorLike(h.tensors(), 'gnd/checked_1');
  h.assertForgedRejected(`${coordinate} shifted`, (vals) => bump(vals, coordinate, 0, -1));
  const x = Float64Array.from(input.x);
  assert.throws(() => runQuantized(r.model, { x, i: Float64Array.of(2, 4, 0, 0, 1, 2) }), /outside \[0, 3\]/);
  assert.throws(() => runQuantized(r.model, { x, i: Float64Array.of(-1, 3, 0, 0, 1, 2) }), /outside \[0, 2\]/);
});

// data [4, 3]; two constant row indices overwritten by update rows
function scatterNdConst(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [4, 3] }, { name: 'u', dims: [2, 3] }],
    outputs: ['y'],
    nodes: [node('ScatterND', ['x', 'idx', 'u'], ['s'], {}, 'snd'), biased('s', 'y')],
    inits: [itensor('idx', [2, 1], [3, 1]), quarter],
  });
}
const scatterInput = { x: floats(rand(12, 49, 1)), u: floats(rand(6, 50, 1)) };

test('ScatterND with constant indices: agrees with onnxruntime; proven; a forged copy is rejected; a reduction on activations is refused', async (t) => {
  const h = opHarness(scatterNdConst(), [scatterInput]);
  h.assertHonest();
  h.assertForgedRejected('s[1,0]+1 (an update row)', (vals) => bump(vals, 's', 3, 1));
  h.assertForgedRejected('s[0,0]+1 (a data row)', (vals) => bump(vals, 's', 0, 1));
  const add = buildModel({
    inputs: [{ name: 'x', dims: [4, 3] }, { name: 'u', dims: [2, 3] }],
    outputs: ['y'],
    nodes: [node('ScatterND', ['x', 'idx', 'u'], ['y'], { reduction: 'add' }, 'snd')],
    inits: [itensor('idx', [2, 1], [3, 1])],
  });
  assert.throws(() => compileOnnx(add, [scatterInput]), /ScatterND.*reduction 'add' on activations is not supported/s);
  if (!ort) return t.skip(NO_ORT);
  await checkAgainstOrt(scatterNdConst(), { x: feed([4, 3], scatterInput.x), u: feed([2, 3], scatterInput.u) });
});

// run-time element indices (row, column) into x [3, 3]: later updates override earlier ones
function scatterNdRuntime(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [3, 3] }, { name: 'i', dims: [3, 2], dtype: DT.INT64 }, { name: 'u', dims: [3] }],
    outputs: ['y'],
    nodes: [node('ScatterND', ['x', 'i', 'u'], ['s'], {}, 'snd'), biased('s', 'y')],
    inits: [quarter],
  });
}

test('ScatterND with run-time indices: ONNX semantics (later updates win), proven; a forged hit and a forged write are rejected; an out-of-range index is refused', () => {
  const input = { x: floats(rand(9, 51, 1)), i: [2, 1, 0, 0, 2, 1], u: floats(rand(3, 52, 1)) };
  const want = input.x.slice();
  for (let t = 0; t < 3; t++) want[input.i[2 * t] * 3 + input.i[2 * t + 1]] = input.u[t];
  want.forEach((v, i) => (want[i] = v + 0.25));
  const r = compileOnnx(scatterNdRuntime(), [input]);
  assertOutputs(r.model, input, want);
  const h = opHarness(scatterNdRuntime(), [input]);
  h.assertHonest();
  h.assertForgedRejected('s+1', (vals) => bump(vals, 's', 7, 1));
  const hits = tensorLike(h.tensors(), 'snd/hits_2');
  h.assertForgedRejected(`${hits} flipped`, (vals) => bump(vals, hits, 7, -1));
  assert.throws(() => runQuantized(r.model, { x: Float64Array.from(input.x), i: Float64Array.of(2, 1, 3, 0, 2, 1), u: Float64Array.from(input.u) }), /outside \[0, 2\]/);
});
