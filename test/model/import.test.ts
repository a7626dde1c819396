import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importOnnx } from '../../src/model/graph.js';
import { ModelError } from '../../src/model/errors.js';
import { prepare, runFloat, UnsupportedOps } from '../../src/model/prepare.js';
import { buildModel, ftensor, itensor, mlp, node, rand } from './onnx-builder.js';

test('imports a generated MLP: inputs, symbolic batch = 1, nodes, initializers', () => {
  const g = importOnnx(mlp(8, 4, 3));
  assert.equal(g.inputs.length, 1);
  assert.deepEqual(g.inputs[0].dims, [1, 8]);
  assert.deepEqual(g.inputs[0].symbolic, ['batch']);
  assert.deepEqual(g.nodes.map((n) => n.opType), ['Gemm', 'Relu', 'Gemm']);
  assert.equal(g.consts.get('w1')!.data.length, 32);
});

test('corrupt and truncated bytes give a CorruptOnnx error, not a stack trace', () => {
  const bytes = mlp(8, 4, 3);
  for (const bad of [bytes.slice(0, bytes.length >> 1), Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]), new Uint8Array(0)]) {
    assert.throws(() => importOnnx(bad), (e: unknown) => e instanceof ModelError && e.kind === 'CorruptOnnx');
  }
});

test('unsupported ops are all named, with their nodes; control flow is labelled (LSTM/GRU/RNN are unrolled: recurrent.test.ts)', () => {
  const bytes = buildModel({
    inputs: [{ name: 'x', dims: [1, 4] }],
    outputs: ['z'],
    nodes: [node('SequenceMap', ['x'], ['a'], {}, 'seqmap0'), node('TopK', ['a'], ['b'], {}, 'top'), node('TopK', ['b'], ['z'], {}, 'top2')],
  });
  assert.throws(() => prepare(importOnnx(bytes)), (e: unknown) => {
    assert.ok(e instanceof UnsupportedOps);
    assert.match(e.message, /SequenceMap \(control flow\) at node 'seqmap0'/);
    assert.match(e.message, /TopK at nodes 'top', 'top2'/);
    assert.deepEqual(Object.keys(e.ops).sort(), ['SequenceMap', 'TopK']);
    return true;
  });
});

test('shape plumbing (Shape → Gather → Unsqueeze → Concat → Reshape) is folded to a constant', () => {
  const bytes = buildModel({
    inputs: [{ name: 'x', dims: ['batch', 2, 3] }],
    outputs: ['y'],
    nodes: [
      node('Shape', ['x'], ['s']),
      node('Gather', ['s', 'zero'], ['b'], { axis: 0 }),
      node('Unsqueeze', ['b', 'ax0'], ['bu']),
      node('Concat', ['bu', 'minus1'], ['shape'], { axis: 0 }),
      node('Reshape', ['x', 'shape'], ['y'], {}, 'reshape'),
    ],
    inits: [itensor('zero', [], [0]), itensor('ax0', [1], [0]), itensor('minus1', [1], [-1])],
  });
  const p = prepare(importOnnx(bytes));
  assert.deepEqual(p.graph.nodes.map((n) => n.opType), ['Reshape']);
  assert.deepEqual(p.shapes.get('y'), [1, 6]);
  assert.deepEqual([...p.graph.consts.get('shape')!.data], [1, -1]);
});

test('a Reshape whose shape depends on activations is refused as a dynamic shape, naming the node', () => {
  const bytes = buildModel({
    inputs: [{ name: 'x', dims: [1, 4] }],
    outputs: ['y'],
    nodes: [node('Relu', ['x'], ['r']), node('Reshape', ['x', 'r'], ['y'], {}, 'dyn')],
  });
  assert.throws(() => prepare(importOnnx(bytes)), (e: unknown) => e instanceof ModelError && e.kind === 'DynamicShape' && /'dyn'/.test(e.message));
});

test('BatchNormalization after Conv is folded into the weights (same float output)', () => {
  const C = 2;
  const mk = (withBn: boolean) =>
    buildModel({
      inputs: [{ name: 'x', dims: [1, C, 4, 4] }],
      outputs: ['y'],
      nodes: withBn
        ? [node('Conv', ['x', 'k', 'c'], ['a'], { kernel_shape: [3, 3] }, 'conv'), node('BatchNormalization', ['a', 's', 'b', 'm', 'v'], ['y'], { epsilon: 1e-5 }, 'bn')]
        : [node('Conv', ['x', 'k', 'c'], ['y'], { kernel_shape: [3, 3] }, 'conv')],
      inits: [
        ftensor('k', [3, C, 3, 3], rand(54, 1)), ftensor('c', [3], [0.1, 0.2, 0.3]), ftensor('s', [3], [1.5, 0.5, 2]),
        ftensor('b', [3], [0.1, -0.2, 0.3]), ftensor('m', [3], [0.05, 0.1, -0.1]), ftensor('v', [3], [1, 2, 0.5]),
      ],
    });
  const p = prepare(importOnnx(mk(true)));
  assert.deepEqual(p.graph.nodes.map((n) => n.opType), ['Conv']);
  const x = new Map([['x', { dims: [1, C, 4, 4], data: rand(32, 7), dtype: 1 }]]);
  const y = runFloat(p, x).get('y')!;
  const s = [1.5, 0.5, 2], b = [0.1, -0.2, 0.3], m = [0.05, 0.1, -0.1], v = [1, 2, 0.5];
  const raw = runFloat(prepare(importOnnx(mk(false))), x).get('y')!;
  for (let i = 0; i < y.data.length; i++) {
    const c = Math.floor(i / 4);
    const ref = ((raw.data[i] - m[c]) * s[c]) / Math.sqrt(v[c] + 1e-5) + b[c];
    assert.ok(Math.abs(y.data[i] - ref) < 1e-5);
  }
});
