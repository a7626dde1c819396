/**
 * Data-dependent ops in constant sub-graphs fold before op support matters (issue 16 item 1):
 * NonZero, Trilu and OneHot have float references (checked here against hand-computed ONNX
 * semantics), a model whose mask is built from constants compiles, and the same op on
 * activations is refused naming the reason. An If whose condition folds is replaced by its
 * branch; one whose condition depends on the input is refused.
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

test('a causal mask built from constants folds; the same Trilu on activations lowers to a copy with zeros', () => {
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
  const onActivations = buildModel({ inputs: [x], outputs: ['y'], nodes: [node('Trilu', ['x'], ['y'], { upper: 0 })] });
  const a = compileOnnx(onActivations, [input]);
  assert.deepEqual(a.model.layers.map((l) => l.kind), ['gather']);
  const qa = runQuantized(a.model, { x: Float64Array.from(input.x) }).outputs[0].values;
  assert.deepEqual(Array.from(qa), Array.from(q), 'the same mask as the folded one (test/prover/nd-reduce-ops.test.ts proves it)');
});

/** y = If(Size(x) > limit) then Relu(x) else x·2 (a branch initializer), x of shape [1, 4]. */
function ifModel(limit: number): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [1, 4] }],
    outputs: ['y'],
    nodes: [
      node('Size', ['x'], ['n']),
      node('Greater', ['n', 'limit'], ['c']),
      node('If', ['c'], ['y'], {
        then_branch: { graph: { nodes: [node('Relu', ['x'], ['r'])], outputs: ['r'] } },
        else_branch: { graph: { nodes: [node('Mul', ['x', 'two'], ['r'])], inits: [ftensor('two', [1], [2])], outputs: ['r'] } },
      }),
    ],
    inits: [itensor('limit', [], [limit])],
  });
}

test('an If whose condition folds is replaced by its branch (then or else, with the branch’s initializers)', () => {
  const x = [-0.5, 0.25, -0.125, 0.75];
  const run = (bytes: Uint8Array) => {
    const r = compileOnnx(bytes, [{ x }]);
    assert.ok(!r.prepared.graph.nodes.some((nd) => nd.opType === 'If'));
    return Array.from(runQuantized(r.model, { x: Float64Array.from(x) }).outputs[0].values);
  };
  const relu = run(ifModel(2));
  relu.forEach((v, i) => assert.ok(Math.abs(v - Math.max(0, x[i])) < 0.02, `relu[${i}] = ${v}`));
  const doubled = run(ifModel(10));
  doubled.forEach((v, i) => assert.ok(Math.abs(v - 2 * x[i]) < 0.05, `2x[${i}] = ${v}`));
});

test('an If whose condition depends on the input is refused, naming it', () => {
  const bytes = buildModel({
    inputs: [{ name: 'x', dims: [1, 4] }],
    outputs: ['y'],
    nodes: [
      node('ReduceSum', ['x'], ['s'], { keepdims: 0 }),
      node('Greater', ['s', 'zero'], ['c']),
      node('If', ['c'], ['y'], {
        then_branch: { graph: { nodes: [node('Relu', ['x'], ['r'])], outputs: ['r'] } },
        else_branch: { graph: { nodes: [node('Neg', ['x'], ['r'])], outputs: ['r'] } },
      }),
    ],
    inits: [ftensor('zero', [], [0])],
  });
  assert.throws(() => compileOnnx(bytes, [{ x: [0.1, 0.2, 0.3, 0.4] }]), /If node '.*': its condition 'c' is computed from the model input at run time/);
});

test('errors name data types (int64), not their enum numbers', () => {
  const bytes = buildModel({ inputs: [{ name: 'ids', dims: [1, 4], dtype: DT.UINT8 }], outputs: ['y'], nodes: [node('Cast', ['ids'], ['y'], { to: 1 })] });
  assert.throws(() => compileOnnx(bytes, [{ ids: [1, 2, 3, 4] }]), /graph input 'ids' has type uint8; only float inputs, int64\/int32 \(token-id\) and bool inputs are supported/);
});
