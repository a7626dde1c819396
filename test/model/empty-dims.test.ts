/**
 * Zero-size tensors and unknown dimensions: an activation with a zero dimension is refused at
 * compile, naming the node and the dimension (and, when symbolic dimensions were set to 1, the
 * flag that gives them), never a model that compiles and fails later. A dimension with neither a
 * value nor a name is symbolic, not 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, ftensor, node, rand } from './onnx-builder.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { importOnnx } from '../../src/model/graph.js';
import { decodeModelProto, encodeModelProto } from '../../src/model/onnx-proto.js';

/** MaxPool 2×2 stride 2, then a 1×1 conv: an image of 1×1 pools to 0×0. */
const pooled = buildModel({
  inputs: [{ name: 'x', dims: ['N', 2, 'H', 'W'] }],
  outputs: ['y'],
  nodes: [
    node('MaxPool', ['x'], ['p'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool'),
    node('Conv', ['p', 'k'], ['y'], { kernel_shape: [1, 1] }, 'conv'),
  ],
  inits: [ftensor('k', [3, 2, 1, 1], rand(6, 3, 0.5))],
});

test('a zero dimension is refused at compile, naming the node, the dimension and --input-shape', () => {
  assert.throws(
    () => compileOnnx(pooled, [{ x: rand(2, 5) }]),
    /MaxPool node 'pool': its output 'p' has shape \[1, 2, 0, 0\], dimension 2 is 0 \(an empty tensor, which cannot be proven\) \(the symbolic dimensions of 'x' \[N,2,H,W\] were set to 1; if the model needs other sizes, give them with --input-shape/,
  );
  const r = compileOnnx(pooled, [{ x: rand(32, 5) }], { inputShapes: { x: [1, 2, 4, 4] } });
  assert.deepEqual(r.model.outputs[0].dims, [1, 3, 2, 2]);
});

test('a graph input declared with a zero dimension is refused', () => {
  const zero = buildModel({ inputs: [{ name: 'x', dims: [1, 0] }], outputs: ['y'], nodes: [node('Relu', ['x'], ['y'])] });
  assert.throws(() => compileOnnx(zero, [{ x: [] }]), /graph input 'x' has shape \[1, 0\], dimension 1 is 0 \(an empty tensor\); give its shape with --input-shape x=…/);
});

test('a dimension with neither dim_value nor dim_param is symbolic', () => {
  // silero VAD v5 declares its input so: [?, ?]
  const m = decodeModelProto(buildModel({ inputs: [{ name: 'x', dims: [1, 4] }], outputs: ['y'], nodes: [node('Relu', ['x'], ['y'])] }));
  m.graph!.input![0].type!.tensorType!.shape!.dim = [{}, {}];
  const bytes = encodeModelProto(m);
  const inp = importOnnx(bytes).inputs[0];
  assert.deepEqual(inp.symbolicAxes, [{ axis: 0, name: '?' }, { axis: 1, name: '?' }]);
  assert.deepEqual(compileOnnx(bytes, [{ x: rand(4, 5) }], { inputShapes: { x: [1, 4] } }).model.inputs[0].dims, [1, 4]);
});
