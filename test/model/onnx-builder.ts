/**
 * Test helpers for building small ONNX models in code: the writer itself lives in
 * `src/model/onnx-writer.ts` (re-exported here under the short names the tests use); this file
 * adds the tests' deterministic random data and two canonical models, an MLP and a small CNN.
 */
export { buildModel, node, floatTensor as ftensor, int64Tensor as itensor, type AttrValue as A, type ModelSpec } from '../../src/model/onnx-writer.js';
import { buildModel, node, floatTensor as ftensor } from '../../src/model/onnx-writer.js';

/** Deterministic pseudo-random floats in [−a, a). */
export function rand(n: number, seed: number, a = 1): Float64Array {
  let s = seed >>> 0 || 1;
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    r[i] = (s / 2 ** 32 * 2 - 1) * a;
  }
  return r;
}

/** A 2-layer MLP: x[1,K] → Gemm(K→H) → Relu → Gemm(H→N) (→ Softmax if asked). */
export function mlp(K: number, H: number, N: number, softmax = false): Uint8Array {
  const nodes = [
    node('Gemm', ['x', 'w1', 'b1'], ['h'], { transB: 1 }, 'fc1'),
    node('Relu', ['h'], ['r'], {}, 'relu1'),
    node('Gemm', ['r', 'w2', 'b2'], [softmax ? 'z' : 'y'], { transB: 1 }, 'fc2'),
  ];
  if (softmax) nodes.push(node('Softmax', ['z'], ['y'], { axis: -1 }, 'softmax'));
  return buildModel({
    inputs: [{ name: 'x', dims: ['batch', K] }],
    outputs: ['y'],
    nodes,
    inits: [
      ftensor('w1', [H, K], rand(H * K, 1, 1 / Math.sqrt(K))),
      ftensor('b1', [H], rand(H, 2, 0.1)),
      ftensor('w2', [N, H], rand(N * H, 3, 1 / Math.sqrt(H))),
      ftensor('b2', [N], rand(N, 4, 0.1)),
    ],
  });
}

/** A small CNN: Conv(3→8, 3×3, pad 1) → Relu → MaxPool 2 → Conv(8→16, stride 2) → Relu → GAP → Flatten → Gemm(16→10). */
export function cnn(C = 3, HW = 16): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [1, C, HW, HW] }],
    outputs: ['y'],
    nodes: [
      node('Conv', ['x', 'k1', 'c1'], ['a'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv1'),
      node('Relu', ['a'], ['ar'], {}, 'relu1'),
      node('MaxPool', ['ar'], ['p'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool1'),
      node('Conv', ['p', 'k2', 'c2'], ['b'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'conv2'),
      node('Relu', ['b'], ['br'], {}, 'relu2'),
      node('GlobalAveragePool', ['br'], ['g'], {}, 'gap'),
      node('Flatten', ['g'], ['f'], {}, 'flatten'),
      node('Gemm', ['f', 'wf', 'bf'], ['y'], { transB: 1 }, 'fc'),
    ],
    inits: [
      ftensor('k1', [8, C, 3, 3], rand(8 * C * 9, 11, 0.3)),
      ftensor('c1', [8], rand(8, 12, 0.1)),
      ftensor('k2', [16, 8, 3, 3], rand(16 * 72, 13, 0.15)),
      ftensor('c2', [16], rand(16, 14, 0.1)),
      ftensor('wf', [10, 16], rand(160, 15, 0.3)),
      ftensor('bf', [10], rand(10, 16, 0.1)),
    ],
  });
}
