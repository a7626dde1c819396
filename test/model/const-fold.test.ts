/**
 * Data-dependent ops in constant sub-graphs fold before op support matters (issue 16 item 1):
 * NonZero, Trilu and OneHot have float references (checked here against hand-computed ONNX
 * semantics), a model whose mask is built from constants compiles, and the same op on
 * activations is refused naming the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NonZero, OneHot, Trilu } from '../../src/ops/shape.js';
import type { Node } from '../../src/model/graph.js';
import type { Tensor } from '../../src/model/tensor.js';
import { DT } from '../../src/model/onnx-proto.js';
import { buildModel, ftensor, itensor, node, rand } from './onnx-builder.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { runQuantized } from '../../src/quantize/infer.js';

const n = (attrs: Node['attrs'] = {}): Node => ({ name: 't', opType: 'x', domain: '', inputs: [], outputs: [], attrs });
const t = (dims: number[], data: number[], dtype: number = DT.FLOAT): Tensor => ({ dims, data: Float64Array.from(data), dtype });

test('NonZero: row-major indices of the nonzero entries, [rank, count]', () => {
  const [a] = NonZero.float(n(), [t([2, 3], [1, 0, 2, 0, 0, 3])], 17);
  assert.deepEqual(a.dims, [2, 3]);
  assert.deepEqual(Array.from(a.data), [0, 0, 1, 0, 2, 2]);
  assert.equal(a.dtype, DT.INT64);
  const [b] = NonZero.float(n(), [t([4], [0, 5, 0, 7])], 17);
  assert.deepEqual([b.dims, Array.from(b.data)], [[1, 2], [1, 3]]);
  assert.deepEqual(NonZero.float(n(), [t([2], [0, 0])], 17)[0].dims, [1, 0]);
});

test('Trilu: upper (default) and lower triangles with a diagonal offset, over the last two axes', () => {
  const ones = t([2, 3, 3], new Array(18).fill(1));
  assert.deepEqual(Array.from(Trilu.float(n(), [ones], 17)[0].data.slice(0, 9)), [1, 1, 1, 0, 1, 1, 0, 0, 1]);
  assert.deepEqual(Array.from(Trilu.float(n({ upper: 0 }), [ones], 17)[0].data.slice(9)), [1, 0, 0, 1, 1, 0, 1, 1, 1]);
  assert.deepEqual(Array.from(Trilu.float(n(), [ones, t([], [1], DT.INT64)], 17)[0].data.slice(0, 9)), [0, 1, 1, 0, 0, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(Trilu.float(n({ upper: 0 }), [ones, t([], [-1], DT.INT64)], 17)[0].data.slice(0, 9)), [0, 0, 0, 1, 0, 0, 1, 1, 0]);
  assert.throws(() => Trilu.float(n(), [t([3], [1, 2, 3])], 17), /rank ≥ 2/);
});

test('OneHot: the new axis at `axis`, negative indices wrap, out-of-range ones are all off', () => {
  const [a] = OneHot.float(n(), [t([4], [0, 2, -1, 5], DT.INT64), t([], [3], DT.INT64), t([2], [-1, 4])], 17);
  assert.deepEqual(a.dims, [4, 3]);
  assert.deepEqual(Array.from(a.data), [4, -1, -1, -1, -1, 4, -1, -1, 4, -1, -1, -1]);
  const [b] = OneHot.float(n({ axis: 0 }), [t([2], [1, 0], DT.INT64), t([], [2], DT.INT64), t([2], [0, 1])], 17);
  assert.deepEqual([b.dims, Array.from(b.data)], [[2, 2], [0, 1, 1, 0]]);
  assert.throws(() => OneHot.float(n(), [t([1], [0]), t([], [0]), t([2], [0, 1])], 17), /depth must be at least 1/);
});

test('a causal mask built from constants folds; the same Trilu on activations is refused with its reason', () => {
  const x = { name: 'x', dims: [4, 4] };
  const folded = buildModel({
    inputs: [x],
    outputs: ['y'],
    nodes: [node('ConstantOfShape', ['shape'], ['ones'], { value: ftensor('v', [1], [1]) as never }), node('Trilu', ['ones'], ['mask'], { upper: 0 }), node('Mul', ['x', 'mask'], ['y'])],
    inits: [itensor('shape', [2], [4, 4])],
  });
  const input = { x: Array.from(rand(16, 3, 0.9)) };
  const r = compileOnnx(folded, [input]);
  assert.ok(r.report.every((row) => row.relL2 < 0.05), JSON.stringify(r.report));
  assert.ok(!r.prepared.graph.nodes.some((nd) => nd.opType === 'Trilu' || nd.opType === 'ConstantOfShape'), 'the mask folded into a constant');
  const q = runQuantized(r.model, { x: Float64Array.from(input.x) }).outputs[0].values;
  for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) assert.equal(q[4 * i + j], 0, `y[${i}][${j}] is masked`);
  const onActivations = buildModel({ inputs: [x], outputs: ['y'], nodes: [node('Trilu', ['x'], ['y'])] });
  assert.throws(() => compileOnnx(onActivations, [input]), /Trilu node .* computes on model activations.*masks activations at run time/);
});
