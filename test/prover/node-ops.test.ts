/**
 * Op coverage for the ONNX node tests and EZKL fixtures: LayerNormalization's Mean and InvStdDev
 * outputs, ONNX's quantization ops on activations, boolean logic on activations and bool inputs,
 * and Cast to an integer feeding a class-label Gather. Each model is generated, compiled, checked
 * against onnxruntime (or hand-computed ONNX semantics where onnxruntime takes non-float feeds),
 * proven and verified in clear and zero-knowledge receipts, and a forged witness on the new part
 * of the circuit is rejected in both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, ftensor, node, rand } from '../model/onnx-builder.js';
import { checkAgainstOrt, NO_ORT, ort } from '../model/ort-check.js';
import { DT } from '../../src/model/onnx-proto.js';
import type { PTensor } from '../../src/model/onnx-proto.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { runQuantized } from '../../src/quantize/infer.js';
import { bump, opHarness } from './harness.js';

const u8 = (name: string, dims: number[], data: number[]): PTensor => ({ name, dims, dataType: DT.UINT8, rawData: Uint8Array.from(data) });
const floats = (x: Float64Array | number[]) => Array.from(x, (v) => Math.fround(v));
/** the circuit tensor whose name contains `part` (a value the op's lowering made) */
const tensorLike = (names: string[], part: string): string => {
  const t = names.find((n) => n.includes(part));
  assert.ok(t, `no circuit tensor containing '${part}' (have ${names.join(', ')})`);
  return t;
};

function layerNorm(statsRead: boolean): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [2, 3, 4] }],
    outputs: statsRead ? ['y', 'mean', 'inv'] : ['y'],
    nodes: [node('LayerNormalization', ['x', 'g', 'b'], ['y', 'mean', 'inv'], { axis: 1, epsilon: 1e-3 }, 'ln')],
    inits: [ftensor('g', [3, 4], rand(12, 5, 1)), ftensor('b', [3, 4], rand(12, 6, 0.2))],
  });
}
const lnInput = { x: floats(rand(24, 7, 2)) };

test('LayerNormalization: Mean and InvStdDev outputs agree with onnxruntime (axis 1, epsilon)', async (t) => {
  if (!ort) return t.skip(NO_ORT);
  const r = await checkAgainstOrt(layerNorm(true), { x: { dims: [2, 3, 4], data: lnInput.x } });
  assert.deepEqual(r.model.outputs.map((o) => o.dims), [[2, 3, 4], [2, 1, 1], [2, 1, 1]]);
  const ops = r.prepared.graph.nodes.map((n) => n.opType);
  assert.deepEqual(ops, ['LayerNormalization', 'ReduceMean', 'Sub', 'Mul', 'ReduceMean', 'Add', 'Pow']);
  // unread statistics are dropped, not computed
  assert.deepEqual(compileOnnx(layerNorm(false), [lnInput]).prepared.graph.nodes.map((n) => n.opType), ['LayerNormalization']);
});

test('LayerNormalization statistics: proven and verified; a forged variance is rejected', () => {
  const h = opHarness(layerNorm(true), [lnInput]);
  h.assertHonest();
  const v = tensorLike(h.tensors(), 'ln/variance');
  h.assertForgedRejected(`${v}+1`, (vals) => bump(vals, v, 0, 1));
  h.assertForgedRejected('inv+1', (vals) => bump(vals, 'inv', 1, 1));
});

/** QDQ per axis around a float MatMul, then QLinearMatMul with a constant uint8 weight and a DequantizeLinear. */
function quantized(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [2, 4] }],
    outputs: ['y', 'z'],
    nodes: [
      node('QuantizeLinear', ['x', 'sx', 'zx'], ['xq'], { axis: 1 }, 'qx'),
      node('DequantizeLinear', ['xq', 'sx', 'zx'], ['xd'], { axis: 1 }, 'dqx'),
      node('MatMul', ['xd', 'w'], ['y'], {}, 'mm'),
      node('QuantizeLinear', ['x', 'sa', 'za'], ['aq'], {}, 'qa'),
      node('QLinearMatMul', ['aq', 'sa', 'za', 'b', 'sb', 'zb', 'sy', 'zy'], ['yq'], {}, 'qmm'),
      node('DequantizeLinear', ['yq', 'sy', 'zy'], ['z'], {}, 'dqy'),
    ],
    inits: [
      ftensor('sx', [4], [0.01, 0.02, 0.015, 0.03]), u8('zx', [4], [128, 120, 130, 128]),
      ftensor('w', [4, 3], rand(12, 9, 1)),
      ftensor('sa', [], [0.02]), u8('za', [], [128]),
      u8('b', [4, 3], [10, 200, 130, 90, 128, 255, 0, 140, 60, 170, 115, 128]), ftensor('sb', [], [0.01]), u8('zb', [], [128]),
      ftensor('sy', [], [0.02]), u8('zy', [], [128]),
    ],
  });
}
const qInput = { x: floats(rand(8, 11, 1.5)) };

test('QuantizeLinear (per axis), DequantizeLinear and QLinearMatMul on activations agree with onnxruntime', async (t) => {
  if (!ort) return t.skip(NO_ORT);
  const r = await checkAgainstOrt(quantized(), { x: { dims: [2, 4], data: qInput.x } });
  const kinds = r.model.layers.map((l) => `${l.op}:${l.kind}`);
  // per-axis: one table per (scale, zero point), and a gather picking each element's
  assert.equal(kinds.filter((k) => k === 'QuantizeLinear:table').length, 4 + 1 + 1, kinds.join(' '));
  assert.ok(kinds.includes('MatMul:gemm'), 'QLinearMatMul became an int8 linear layer');
});

test('quantization ops: proven and verified; a forged quantized value is rejected', () => {
  const h = opHarness(quantized(), [qInput]);
  h.assertHonest();
  h.assertForgedRejected('xq+1', (vals) => bump(vals, 'xq', 2, 1));
  h.assertForgedRejected('aq+1', (vals) => bump(vals, 'aq', 0, 1));
});

test('quantization ops: float references follow ONNX (round half to even, saturation); unsupported types are named', () => {
  const m = buildModel({
    inputs: [{ name: 'x', dims: [1, 6] }],
    outputs: ['y'],
    nodes: [node('QuantizeLinear', ['x', 's', 'z'], ['q']), node('DequantizeLinear', ['q', 's', 'z'], ['y'])],
    inits: [ftensor('s', [], [2]), u8('z', [], [253])],
  });
  // x exact at its scale 2^3; q = clamp(rhe(x / 2) + 253, 0, 255): 253, 255, 255, 251, 255 (saturated), 249
  const x = [1, 3, 5, -3, 8, -8];
  const r = compileOnnx(m, [{ x }]);
  const y = runQuantized(r.model, { x: Float64Array.from(x) }).outputs[0];
  assert.deepEqual(Array.from(y.values), [0, 4, 4, -4, 4, -8]);
  const bad = buildModel({
    inputs: [{ name: 'x', dims: [2] }],
    outputs: ['q'],
    nodes: [node('QuantizeLinear', ['x', 's'], ['q'], { output_dtype: 7 })],
    inits: [ftensor('s', [], [1])],
    opset: 21,
  });
  assert.throws(() => compileOnnx(bad, [{ x: [1, 2] }]), /quantized type int64 is not supported/);
});

/** QLinearConv (per-channel weight scales, int32 bias) and MatMulInteger (per-column zero point) on quantized activations. */
function quantizedLinear(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [1, 1, 4, 4] }],
    outputs: ['y', 'z'],
    nodes: [
      node('QuantizeLinear', ['x', 'sx', 'zx'], ['xq'], {}, 'qx'),
      node('QLinearConv', ['xq', 'sx', 'zx', 'w', 'sw', 'zw', 'sy', 'zy', 'bias'], ['yq'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'qconv'),
      node('DequantizeLinear', ['yq', 'sy', 'zy'], ['y'], {}, 'dqy'),
      node('Reshape', ['xq', 'shape'], ['x2'], {}, 'flat'),
      node('MatMulInteger', ['x2', 'm', 'zx', 'zm'], ['zi'], {}, 'mmi'),
      node('Cast', ['zi'], ['z'], { to: DT.FLOAT }, 'cast'),
    ],
    inits: [
      ftensor('sx', [], [0.02]), u8('zx', [], [128]),
      u8('w', [2, 1, 3, 3], [130, 120, 140, 128, 160, 100, 128, 128, 135, 90, 128, 200, 128, 150, 128, 110, 128, 170]),
      ftensor('sw', [2], [0.01, 0.02]), u8('zw', [2], [128, 128]), ftensor('sy', [], [0.01]), u8('zy', [], [128]),
      { name: 'bias', dims: [2], dataType: DT.INT32, int32Data: [100, -250] },
      { name: 'shape', dims: [2], dataType: DT.INT64, int64Data: [4, 4] },
      u8('m', [4, 2], [140, 100, 128, 160, 90, 128, 200, 130]), u8('zm', [2], [128, 120]),
    ],
    opset: 13,
  });
}
const qlInput = { x: floats(rand(16, 13, 1.5)) };

test('QLinearConv and MatMulInteger on activations agree with onnxruntime; proven; a forged product is rejected', async (t) => {
  if (ort) await checkAgainstOrt(quantizedLinear(), { x: { dims: [1, 1, 4, 4], data: qlInput.x } });
  else t.diagnostic(NO_ORT);
  const h = opHarness(quantizedLinear(), [qlInput]);
  const ops = h.model.layers.map((l) => `${l.op}:${l.kind}`);
  assert.ok(ops.includes('Conv:conv') && ops.includes('MatMul:gemm'), ops.join(' '));
  h.assertHonest();
  h.assertForgedRejected('zi+1', (vals) => bump(vals, 'zi', 0, 1));
});

test('Cast to float of uint8 quantized values (beyond int8) takes the calibrated scale, not a clamp', async (t) => {
  const m = buildModel({
    inputs: [{ name: 'x', dims: [1, 6] }],
    outputs: ['y'],
    nodes: [node('QuantizeLinear', ['x', 's', 'z'], ['q']), node('Cast', ['q'], ['y'], { to: DT.FLOAT })],
    inits: [ftensor('s', [], [0.01]), u8('z', [], [128])],
  });
  const x = [-1, -0.5, 0, 0.4, 0.9, 1.2];
  const r = compileOnnx(m, [{ x }]);
  const y = Array.from(runQuantized(r.model, { x: Float64Array.from(x) }).outputs[0].values);
  assert.ok(y[5] > 240 && y[0] < 40, `y = ${y} (a clamp to int8 would stop at 127)`);
  if (ort) await checkAgainstOrt(m, { x: { dims: [1, 6], data: x } });
  else t.diagnostic(NO_ORT);
});

function logic(): Uint8Array {
  const b = (name: string) => ({ name, dims: [1, 4], dtype: DT.BOOL });
  return buildModel({
    inputs: [b('a'), b('b'), { name: 'x', dims: [1, 4] }],
    outputs: ['and', 'or', 'xor', 'y'],
    nodes: [
      node('And', ['a', 'b'], ['and']),
      node('Or', ['a', 'b'], ['or']),
      node('Xor', ['a', 'b'], ['xor']),
      node('Less', ['x', 'zero'], ['neg']),
      node('Not', ['neg'], ['pos']),
      node('And', ['pos', 'a'], ['sel']),
      node('Where', ['sel', 'x', 'zero'], ['y']),
    ],
    inits: [ftensor('zero', [], [0])],
  });
}
const logicInput = { a: [0, 0, 1, 1], b: [0, 1, 0, 1], x: [0.5, -0.25, 0.75, -1] };

test('boolean logic on activations and bool inputs: ONNX truth tables', () => {
  const r = compileOnnx(logic(), [logicInput]);
  const a = r.model.inputs.find((i) => i.name === 'a')!;
  assert.deepEqual([a.exp, a.lo, a.hi, a.int], [0, 0, 1, true]);
  const out = runQuantized(r.model, Object.fromEntries(Object.entries(logicInput).map(([k, v]) => [k, Float64Array.from(v)]))).outputs;
  const get = (n: string) => Array.from(out.find((o) => o.name === n)!.values);
  assert.deepEqual(get('and'), [0, 0, 0, 1]);
  assert.deepEqual(get('or'), [0, 1, 1, 1]);
  assert.deepEqual(get('xor'), [0, 1, 1, 0]);
  assert.deepEqual(get('y'), [0, 0, 0.75, 0]);
  assert.throws(() => compileOnnx(logic(), [{ ...logicInput, a: [0, 2, 1, 1] }]), /outside the declared integer range \[0, 1\]/);
});

test('boolean logic: proven and verified; a forged Not, And or Xor is rejected', () => {
  const h = opHarness(logic(), [logicInput]);
  h.assertHonest();
  h.assertForgedRejected('pos flipped', (vals) => bump(vals, 'pos', 0, 1));
  h.assertForgedRejected('and+1', (vals) => bump(vals, 'and', 0, 1));
  h.assertForgedRejected('xor+1', (vals) => bump(vals, 'xor', 0, 1));
});

/** A linear classifier's label: Greater → Cast(int64) → Gather on a 1-D class table (sklearn's export). */
function classifier(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [1, 3] }],
    outputs: ['label'],
    nodes: [
      node('MatMul', ['x', 'w'], ['s']),
      node('Reshape', ['s', 'flat'], ['sf']),
      node('Greater', ['sf', 'zero'], ['pos']),
      node('Cast', ['pos'], ['idx'], { to: DT.INT64 }),
      node('Gather', ['classes', 'idx'], ['label'], { axis: 0 }),
    ],
    inits: [ftensor('w', [3, 1], [1, -2, 0.5]), { name: 'flat', dims: [1], dataType: DT.INT64, int64Data: [-1] }, ftensor('zero', [], [0]), ftensor('classes', [2], [3, 7])],
  });
}

test('Cast to int64 of an activation feeding a class-label Gather: matches onnxruntime, proven, a forged index is rejected', async (t) => {
  const input = { x: [0.5, 0.1, 0.2] };
  if (ort) await checkAgainstOrt(classifier(), { x: { dims: [1, 3], data: input.x } });
  else t.diagnostic(NO_ORT);
  const h = opHarness(classifier(), [input]);
  const idx = h.model.tensors.find((x) => x.name === 'idx')!;
  // the comparison's output is declared int8 at 2^−6, so its table reaches trunc([−128, 127]/64)
  assert.deepEqual([idx.exp, idx.lo, idx.hi], [0, -2, 1], 'the index carries the range its table reaches');
  assert.deepEqual(Array.from(runQuantized(h.model, { x: Float64Array.from(input.x) }).outputs[0].values), [7]);
  h.assertHonest();
  h.assertForgedRejected('idx−1', (vals) => bump(vals, 'idx', 0, -1));
});

/** GatherElements with run-time int64 indices (EZKL's gather_elements), axis 2 over 5 candidates. */
function gatherRuntime(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [1, 3, 5] }, { name: 'i', dims: [1, 3, 2], dtype: DT.INT64 }],
    outputs: ['y'],
    nodes: [node('GatherElements', ['x', 'i'], ['y'], { axis: 2 }, 'ge')],
  });
}

test('GatherElements with run-time indices: ONNX semantics, proven; a forged selection is rejected; an index out of range is refused', () => {
  const input = { x: floats(rand(15, 17, 1)), i: [0, 4, 2, 2, 3, 1] };
  const r = compileOnnx(gatherRuntime(), [input]);
  const y = Array.from(runQuantized(r.model, { x: Float64Array.from(input.x), i: Float64Array.from(input.i) }).outputs[0].values);
  const want = input.i.map((k, p) => input.x[Math.floor(p / 2) * 5 + k]);
  y.forEach((v, p) => assert.ok(Math.abs(v - want[p]) <= 2 ** -r.model.outputs[0].exp, `y[${p}] = ${v}, want ${want[p]}`));
  const h = opHarness(gatherRuntime(), [input]);
  h.assertHonest();
  h.assertForgedRejected('y+1', (vals) => bump(vals, 'y', 1, 1));
  const index = tensorLike(h.tensors(), 'ge/index');
  h.assertForgedRejected(`${index} shifted`, (vals) => bump(vals, index, 0, 1));
  assert.throws(() => runQuantized(r.model, { x: Float64Array.from(input.x), i: Float64Array.of(0, 5, 2, 2, 3, 1) }), /outside \[0, 4\]/);
});

test('Gather on a constant table with indices looked up from another table (a scale, not exponent 0): the index is made an integer first', () => {
  const m = buildModel({
    inputs: [{ name: 'ids', dims: [4], dtype: DT.INT64 }],
    outputs: ['y'],
    nodes: [node('Gather', ['next', 'ids'], ['i'], { axis: 0 }), node('Gather', ['table', 'i'], ['y'], { axis: 0 })],
    inits: [{ name: 'next', dims: [3], dataType: DT.INT64, int64Data: [2, 0, 1] }, ftensor('table', [3], [0.5, -1, 2])],
  });
  const input = { ids: [0, 1, 2, 0] };
  const h = opHarness(m, [input]);
  assert.notEqual(h.model.tensors.find((t) => t.name === 'i')!.exp, 0, 'the looked-up index carries its table\'s int8 scale');
  assert.deepEqual(Array.from(runQuantized(h.model, { ids: Float64Array.from(input.ids) }).outputs[0].values), [2, 0.5, -1, 2]);
  h.assertHonest();
  const int = tensorLike(h.tensors(), 'i:int');
  h.assertForgedRejected(`${int}+1`, (vals) => bump(vals, int, 0, 1));
});

test('int64 index arithmetic (2·i + branch, beyond int8) stays exact at 2^0', () => {
  const m = buildModel({
    inputs: [{ name: 'x', dims: [4] }],
    outputs: ['y'],
    nodes: [
      node('Greater', ['x', 'zero'], ['g']),
      node('Cast', ['g'], ['b'], { to: DT.INT64 }),
      node('Mul', ['base', 'two'], ['d']),
      node('Add', ['d', 'b'], ['i']),
      node('Gather', ['table', 'i'], ['y'], { axis: 0 }),
    ],
    inits: [
      ftensor('zero', [], [0]), { name: 'two', dims: [], dataType: DT.INT64, int64Data: [2] },
      { name: 'base', dims: [4], dataType: DT.INT64, int64Data: [60, 70, 90, 99] },
      ftensor('table', [200], Array.from({ length: 200 }, (_, k) => (k % 7) - 3)),
    ],
  });
  const input = { x: [0.3, -0.2, 0.9, -0.7] };
  const h = opHarness(m, [input]);
  const i = h.model.tensors.find((t) => t.name === 'i')!;
  assert.ok(i.exp === 0 && i.hi >= 199, `i at 2^${-i.exp} in [${i.lo}, ${i.hi}]`);
  // i = 121, 140, 181, 198 → table[i] = i mod 7 − 3
  assert.deepEqual(Array.from(runQuantized(h.model, { x: Float64Array.from(input.x) }).outputs[0].values), [121, 140, 181, 198].map((k) => (k % 7) - 3));
  h.assertHonest();
  h.assertForgedRejected('i+1', (vals) => bump(vals, 'i', 0, 1));
});

test('OneHot of run-time indices: the float reference (wrapping, all off out of range), proven; a forged hit is rejected', () => {
  const m = buildModel({
    inputs: [{ name: 'i', dims: [1, 4], dtype: DT.INT64 }, { name: 'x', dims: [1, 4, 3] }],
    outputs: ['y', 'z'],
    nodes: [node('OneHot', ['i', 'depth', 'vals'], ['y'], { axis: -1 }, 'oh'), node('Mul', ['y', 'x'], ['z'])],
    inits: [{ name: 'depth', dims: [], dataType: DT.INT64, int64Data: [3] }, ftensor('vals', [2], [-1, 4])],
  });
  const input = { i: [0, 2, -1, 5], x: floats(rand(12, 19, 1)) };
  const r = compileOnnx(m, [input]);
  const feed = { i: Float64Array.from(input.i), x: Float64Array.from(input.x) };
  assert.deepEqual(Array.from(runQuantized(r.model, feed).outputs[0].values), [4, -1, -1, -1, -1, 4, -1, -1, 4, -1, -1, -1]);
  const h = opHarness(m, [input]);
  h.assertHonest();
  h.assertForgedRejected('y flipped', (vals) => bump(vals, 'y', 1, 1));
  const hit = tensorLike(h.tensors(), 'oh/hit');
  h.assertForgedRejected(`${hit}+1`, (vals) => bump(vals, hit, 0, 1));
});

test('TopK on activations is refused, saying why', () => {
  const m = buildModel({
    inputs: [{ name: 'x', dims: [1, 6] }],
    outputs: ['v'],
    nodes: [node('TopK', ['x', 'k'], ['v', 'i'], { axis: -1 })],
    inits: [{ name: 'k', dims: [1], dataType: DT.INT64, int64Data: [2] }],
  });
  assert.throws(() => compileOnnx(m, [{ x: [1, 2, 3, 4, 5, 6] }]), /TopK .*sort/);
});
