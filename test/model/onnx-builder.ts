/** Builds small ONNX models in code (protobufjs encoder), so the core tests need no fixture files. */
import { ATTR, DT, encodeModelProto, type PAttribute, type PNode, type PTensor } from '../../src/model/onnx-proto.js';

export type A = number | number[] | string | PTensor;

export function ftensor(name: string, dims: number[], data: ArrayLike<number>): PTensor {
  return { name, dims, dataType: DT.FLOAT, floatData: Array.from(data) };
}
export function itensor(name: string, dims: number[], data: number[]): PTensor {
  return { name, dims, dataType: DT.INT64, int64Data: data };
}

function attr(name: string, v: A): PAttribute {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: ATTR.INT, i: v } : { name, type: ATTR.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return v.every(Number.isInteger) ? { name, type: ATTR.INTS, ints: v } : { name, type: ATTR.FLOATS, floats: v };
  return { name, type: ATTR.TENSOR, t: v };
}

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, A> = {}, name?: string): PNode {
  return { opType, inputs, outputs, name: name ?? `${opType}_${outputs[0]}`, attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) } as PNode & { inputs: string[] };
}

export interface ModelSpec {
  inputs: { name: string; dims: (number | string)[] }[];
  outputs: string[];
  nodes: PNode[];
  inits?: PTensor[];
  opset?: number;
}

export function buildModel(s: ModelSpec): Uint8Array {
  const vi = (name: string, dims?: (number | string)[]) => ({
    name,
    type: { tensorType: { elemType: DT.FLOAT, shape: dims ? { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } : undefined } },
  });
  return encodeModelProto({
    irVersion: 8,
    opsetImport: [{ domain: '', version: s.opset ?? 17 }],
    producerName: 'zkinfer-test',
    graph: {
      name: 'g',
      node: s.nodes.map((n) => ({ ...n, input: (n as { inputs?: string[] }).inputs, output: (n as { outputs?: string[] }).outputs })),
      initializer: s.inits ?? [],
      input: s.inputs.map((i) => vi(i.name, i.dims)),
      output: s.outputs.map((o) => vi(o)),
    },
  });
}

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
