/** Integer semantics of single ops against the float reference, on models generated in code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { compileOnnx } from '../../src/quantize/compile.js';
import { buildModel, ftensor, itensor, node, rand, type A } from '../model/onnx-builder.js';

function one(op: string, inDims: number[][], attrs: Record<string, A> = {}, inits: ReturnType<typeof ftensor>[] = [], extraInputs: string[] = []) {
  const names = inDims.map((_, i) => `x${i}`);
  return buildModel({
    inputs: inDims.map((d, i) => ({ name: names[i], dims: d })),
    outputs: ['y'],
    nodes: [node(op, [...names, ...extraInputs], ['y'], attrs, `${op.toLowerCase()}0`)],
    inits,
  });
}

function check(bytes: Uint8Array, inDims: number[][], tol = 0.05, scale = 2) {
  const sample: Record<string, number[]> = {};
  inDims.forEach((d, i) => (sample[`x${i}`] = Array.from(rand(d.reduce((a, b) => a * b, 1), 17 + i, scale))));
  const { report } = compileOnnx(bytes, [sample]);
  for (const r of report) assert.ok(r.relL2 <= tol, `relL2 ${r.relL2}`);
}

const cases: [string, () => void][] = [
  ['Sigmoid', () => check(one('Sigmoid', [[2, 16]]), [[2, 16]])],
  ['Tanh', () => check(one('Tanh', [[2, 16]]), [[2, 16]])],
  ['Gelu (opset 20)', () => check(buildModel({ inputs: [{ name: 'x0', dims: [4, 8] }], outputs: ['y'], nodes: [node('Gelu', ['x0'], ['y'])], opset: 20 }), [[4, 8]])],
  ['Softmax', () => check(one('Softmax', [[3, 10]], { axis: -1 }), [[3, 10]])],
  ['LogSoftmax', () => check(one('LogSoftmax', [[3, 10]], { axis: 1 }), [[3, 10]])],
  ['AveragePool pads', () => check(one('AveragePool', [[1, 2, 6, 6]], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }), [[1, 2, 6, 6]])],
  ['MaxPool', () => check(one('MaxPool', [[1, 2, 6, 6]], { kernel_shape: [2, 2], strides: [2, 2] }), [[1, 2, 6, 6]])],
  ['ReduceMean', () => check(one('ReduceMean', [[2, 3, 4]], { axes: [1], keepdims: 0 }, [], []), [[2, 3, 4]])],
  ['Add broadcast of two activations', () => check(one('Add', [[2, 3, 4], [4]]), [[2, 3, 4], [4]])],
  ['Mul of two activations', () => check(one('Mul', [[2, 8], [2, 8]]), [[2, 8], [2, 8]])],
  ['Div of two activations', () => check(one('Div', [[8], [8]]), [[8], [8]], 0.05, 1)],
  ['Max variadic', () => check(one('Max', [[8], [8], [8]]), [[8], [8], [8]])],
  ['Transpose', () => check(one('Transpose', [[2, 3, 4]], { perm: [2, 0, 1] }), [[2, 3, 4]])],
  ['Concat', () => check(one('Concat', [[2, 3], [2, 5]], { axis: 1 }), [[2, 3], [2, 5]])],
  ['Pad reflect', () => check(buildModel({ inputs: [{ name: 'x0', dims: [3, 4] }], outputs: ['y'], nodes: [node('Pad', ['x0', 'p'], ['y'], { mode: 'reflect' })], inits: [itensor('p', [4], [1, 2, 1, 0])] }), [[3, 4]])],
  ['Slice negative step', () => check(buildModel({ inputs: [{ name: 'x0', dims: [4, 6] }], outputs: ['y'], nodes: [node('Slice', ['x0', 's', 'e', 'a', 't'], ['y'])], inits: [itensor('s', [1], [-1]), itensor('e', [1], [-100]), itensor('a', [1], [1]), itensor('t', [1], [-2])] }), [[4, 6]])],
  ['LayerNormalization', () => check(one('LayerNormalization', [[4, 16]], { axis: -1, epsilon: 1e-5 }, [ftensor('g', [16], rand(16, 3, 1)), ftensor('b', [16], rand(16, 4, 0.2))], ['g', 'b']), [[4, 16]])],
  ['Conv groups + dilation', () => check(one('Conv', [[1, 4, 7, 7]], { group: 2, dilations: [2, 2], kernel_shape: [3, 3] }, [ftensor('w', [6, 2, 3, 3], rand(108, 5, 0.4)), ftensor('b', [6], rand(6, 6, 0.1))], ['w', 'b']), [[1, 4, 7, 7]])],
  ['MatMul batched activations', () => check(one('MatMul', [[2, 3, 8], [2, 8, 4]]), [[2, 3, 8], [2, 8, 4]])],
  ['PRelu per channel', () => check(one('PRelu', [[1, 3, 4]], {}, [ftensor('s', [3, 1], [0.1, 0.2, 0.3])], ['s']), [[1, 3, 4]])],
];
for (const [name, fn] of cases) test(`op ${name}: integer within 5% of float`, fn);

// Real models from ../shared/fixtures (skipped when the shared folder is absent).
const FIX = path.resolve(process.cwd(), '../shared/fixtures/ezkl');
const have = fs.existsSync(FIX);
for (const m of ['1l_mlp', '2l_relu_fc', '4l_relu_conv_fc', '3l_relu_conv_fc', 'layernorm']) {
  test(`fixture ezkl/${m}: compiles and is within tolerance`, { skip: have ? false : `../shared/fixtures not found from ${process.cwd()}` }, async () => {
    const dir = path.join(FIX, m);
    const { parseInputJson } = await import('../../src/cli/inputs.js');
    const { importOnnx } = await import('../../src/model/graph.js');
    const { prepare } = await import('../../src/model/prepare.js');
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, 'network.onnx')));
    const inputs = prepare(importOnnx(bytes)).graph.inputs;
    const sample = parseInputJson(fs.readFileSync(path.join(dir, 'input.json'), 'utf8'), inputs);
    const { report } = compileOnnx(bytes, [sample]);
    for (const r of report) assert.ok(r.relL2 <= 0.05 && r.argmaxAgree !== false, `relL2 ${r.relL2}`);
  });
}
