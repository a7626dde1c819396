/** ConvTranspose, GatherElements and ScatterElements: float semantics pinned by ONNX's examples, integer within 5%. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileOnnx } from '../../src/quantize/compile.js';
import { runFloat, prepare } from '../../src/model/prepare.js';
import { importOnnx } from '../../src/model/graph.js';
import { DT } from '../../src/model/onnx-proto.js';
import { ModelError } from '../../src/model/errors.js';
import { buildModel, ftensor, itensor, node, rand, type A } from '../model/onnx-builder.js';

function model(op: string, inDims: number[][], attrs: Record<string, A>, inits: ReturnType<typeof ftensor>[], extra: string[] = []) {
  const names = inDims.map((_, i) => `x${i}`);
  return buildModel({ inputs: inDims.map((d, i) => ({ name: names[i], dims: d })), outputs: ['y'], nodes: [node(op, [...names, ...extra], ['y'], attrs, `${op}_node`)], inits });
}

function floatOut(bytes: Uint8Array, feeds: Record<string, number[]>): { dims: number[]; data: number[] } {
  const p = prepare(importOnnx(bytes));
  const m = new Map(Object.entries(feeds).map(([k, v]) => [k, { dims: p.graph.inputs.find((i) => i.name === k)!.dims!, data: Float64Array.from(v), dtype: DT.FLOAT }]));
  const y = runFloat(p, m).get('y')!;
  return { dims: y.dims, data: Array.from(y.data) };
}

function intWithin(bytes: Uint8Array, inDims: number[][], tol = 0.05): void {
  const sample: Record<string, number[]> = {};
  inDims.forEach((d, i) => (sample[`x${i}`] = Array.from(rand(d.reduce((a, b) => a * b, 1), 31 + i, 1))));
  const { report } = compileOnnx(bytes, [sample]);
  for (const r of report) assert.ok(r.relL2 <= tol, `relL2 ${r.relL2}`);
}

test('ConvTranspose float semantics: the ONNX operator example', () => {
  const bytes = model('ConvTranspose', [[1, 1, 3, 3]], {}, [ftensor('w', [1, 2, 3, 3], new Array(18).fill(1))], ['w']);
  const y = floatOut(bytes, { x0: [0, 1, 2, 3, 4, 5, 6, 7, 8] });
  const ch = [0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15, 9, 20, 33, 24, 13, 6, 13, 21, 15, 8];
  assert.deepEqual(y.dims, [1, 2, 5, 5]);
  assert.deepEqual(y.data, [...ch, ...ch]);
});

test('ConvTranspose float semantics: output_shape pads (ONNX test_convtranspose_output_shape geometry)', () => {
  const bytes = model('ConvTranspose', [[1, 1, 3, 3]], { strides: [3, 2], output_shape: [10, 8] }, [ftensor('w', [1, 2, 3, 3], new Array(18).fill(1))], ['w']);
  const y = floatOut(bytes, { x0: [0, 1, 2, 3, 4, 5, 6, 7, 8] });
  assert.deepEqual(y.dims, [1, 2, 10, 8]);
  // first row of the ONNX example output
  assert.deepEqual(y.data.slice(0, 8), [0, 0, 1, 1, 3, 2, 2, 0]);
});

const convT: [string, number[], Record<string, A>, number[]][] = [
  ['stride 2, pads, output_padding', [1, 3, 5, 5], { strides: [2, 2], pads: [2, 2, 2, 2], output_padding: [1, 1] }, [3, 4, 5, 5]],
  ['groups and dilation', [1, 4, 4, 4], { group: 2, dilations: [2, 2] }, [4, 3, 3, 3]],
  ['1-D with auto_pad SAME_UPPER', [1, 2, 7], { strides: [2], auto_pad: 'SAME_UPPER' }, [2, 3, 4]],
];
for (const [name, xd, attrs, wd] of convT) {
  test(`ConvTranspose ${name}: integer within 5% of float (gather + conv layers)`, () => {
    const bytes = model('ConvTranspose', [xd], attrs, [ftensor('w', wd, rand(wd.reduce((a, b) => a * b, 1), 7, 0.5)), ftensor('b', [wd[1] * ((attrs.group as number) ?? 1)], rand(wd[1] * ((attrs.group as number) ?? 1), 8, 0.1))], ['w', 'b']);
    intWithin(bytes, [xd]);
    const { model: m } = compileOnnx(bytes, [{ x0: Array.from(rand(xd.reduce((a, b) => a * b, 1), 3, 1)) }]);
    assert.deepEqual(m.layers.map((l) => l.kind), ['gather', 'conv']);
  });
}

test('GatherElements float semantics: the ONNX examples (axis 0, negative indices)', () => {
  const bytes = model('GatherElements', [[3, 3]], { axis: 0 }, [itensor('i', [2, 3], [1, 2, 0, 2, 0, 0])], ['i']);
  assert.deepEqual(floatOut(bytes, { x0: [1, 2, 3, 4, 5, 6, 7, 8, 9] }).data, [4, 8, 3, 7, 2, 3]);
  const neg = model('GatherElements', [[3, 3]], { axis: 0 }, [itensor('i', [2, 3], [-1, -2, 0, -2, 0, 0])], ['i']);
  assert.deepEqual(floatOut(neg, { x0: [1, 2, 3, 4, 5, 6, 7, 8, 9] }).data, [7, 5, 3, 4, 2, 3]);
});

test('GatherElements with constant indices: integer within 5% (a gather map)', () => {
  const bytes = model('GatherElements', [[1, 15, 18]], { axis: 1 }, [itensor('i', [1, 15, 2], Array.from({ length: 30 }, (_, k) => (k * 7) % 15))], ['i']);
  intWithin(bytes, [[1, 15, 18]]);
});

test('ScatterElements float semantics: the ONNX example, and integer within 5% with an activation update', () => {
  const b2 = buildModel({ inputs: [{ name: 'x0', dims: [1, 5] }, { name: 'x1', dims: [1, 2] }], outputs: ['y'], nodes: [node('ScatterElements', ['x0', 'i', 'x1'], ['y'], { axis: 1 }, 'scatter')], inits: [itensor('i', [1, 2], [1, 3])] });
  assert.deepEqual(floatOut(b2, { x0: [1, 2, 3, 4, 5], x1: [1.1, 2.1] }).data, [1, 1.1, 3, 2.1, 5]);
  intWithin(b2, [[1, 5], [1, 2]]);
});

test('ScatterElements with a reduction on activations is refused with an error naming the node', () => {
  const b = buildModel({ inputs: [{ name: 'x0', dims: [1, 5] }, { name: 'x1', dims: [1, 2] }], outputs: ['y'], nodes: [node('ScatterElements', ['x0', 'i', 'x1'], ['y'], { axis: 1, reduction: 'add' }, 'scatter_add')], inits: [itensor('i', [1, 2], [1, 3])], opset: 18 });
  assert.throws(() => compileOnnx(b, [{ x0: [1, 2, 3, 4, 5], x1: [1, 2] }]), (e: unknown) => e instanceof ModelError && /scatter_add/.test((e as Error).message) && /reduction 'add'/.test((e as Error).message));
});

test('LayerNormalization: unused Mean/InvStdDev outputs are dropped; used ones (graph outputs or node inputs) are computed', () => {
  const ln = (outs: string[], graphOuts: string[], extra: ReturnType<typeof node>[] = []) =>
    buildModel({
      inputs: [{ name: 'x0', dims: [2, 8] }],
      outputs: graphOuts,
      nodes: [node('LayerNormalization', ['x0', 'g', 'b'], outs, { axis: -1 }, 'ln'), ...extra],
      inits: [ftensor('g', [8], rand(8, 1, 1)), ftensor('b', [8], rand(8, 2, 0.1))],
    });
  const sample = { x0: Array.from(rand(16, 5, 1)) };
  const ok = compileOnnx(ln(['y', 'mean', 'inv'], ['y']), [sample]);
  assert.ok(ok.report[0].relL2 <= 0.05);
  const f = floatOut(ln(['y', 'mean', 'inv'], ['y', 'mean', 'inv']), sample);
  assert.deepEqual(f.dims, [2, 8]);
  // a used statistic is computed by plain ops (test/prover/node-ops.test.ts proves them)
  const mean = compileOnnx(ln(['y', 'mean', 'inv'], ['y', 'mean']), [sample]);
  assert.ok(mean.report.every((r) => r.relL2 <= 0.05), JSON.stringify(mean.report));
  assert.deepEqual(mean.prepared.graph.nodes.map((n) => n.opType), ['LayerNormalization', 'ReduceMean']);
  const read = compileOnnx(ln(['y', 'mean', 'inv'], ['z'], [node('Add', ['y', 'inv'], ['z'], {}, 'add1')]), [sample]);
  assert.ok(read.report[0].relL2 <= 0.05, JSON.stringify(read.report));
});
