/**
 * Loop and Scan with a static trip count are unrolled in the front end (`src/model/unroll.ts`,
 * issue 16 item 1): each generated model's unrolled float reference equals onnxruntime and its
 * integer model is within tolerance — a Loop with a constant trip count, one whose condition folds
 * per iteration (it stops early), a Loop nested in a Loop's body reading the outer body's values,
 * and Scans forward and reverse with their output on another axis. A trip count or condition
 * computed at run time is refused, saying so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, ftensor, itensor, node, rand, type A } from './onnx-builder.js';
import { checkAgainstOrt, NO_ORT, ort } from './ort-check.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { DT } from '../../src/model/onnx-proto.js';
import type { PNode, PTensor } from '../../src/model/onnx-proto.js';

const F = (name: string, dims: number[]) => ({ name, dims });
const ITER = { name: 'i', dims: [], dtype: DT.INT64 };
const COND = (name: string) => ({ name, dims: [], dtype: DT.BOOL });
const boolTensor = (name: string, v: boolean): PTensor => ({ name, dims: [], dataType: DT.BOOL, int32Data: [v ? 1 : 0] });
const skip = ort ? false : NO_ORT;

/**
 * s ← Tanh(s·W + x) for each iteration, scan output Relu(s); the body's condition comes from
 * `condNodes` (default: the incoming condition, so it stays true); `trip` nodes may compute the trip
 * count or condition in the main graph. Outputs: the final s and the scans stacked.
 */
function loopModel(o: { M?: number; condNodes?: PNode[]; trip?: PNode[]; tripName?: string; condName?: string; inits?: PTensor[] } = {}): Uint8Array {
  const body = {
    inputs: [ITER, COND('cond_in'), F('s', [1, 4])],
    nodes: [node('MatMul', ['s', 'Wb'], ['sw']), node('Add', ['sw', 'x'], ['pre']), node('Tanh', ['pre'], ['s_out']), node('Relu', ['s_out'], ['scan']), ...(o.condNodes ?? [node('Identity', ['cond_in'], ['cond_out'])])],
    inits: [ftensor('Wb', [4, 4], rand(16, 5, 0.6))],
    outputs: [COND('cond_out'), F('s_out', [1, 4]), F('scan', [1, 4])],
  };
  return buildModel({
    inputs: [F('x', [1, 4])],
    outputs: ['s_final', 'scans'],
    nodes: [...(o.trip ?? []), node('Loop', [o.tripName ?? 'M', o.condName ?? 'c0', 's0'], ['s_final', 'scans'], { body: { graph: body } }, 'loop')],
    inits: [itensor('M', [], [o.M ?? 3]), boolTensor('c0', true), ftensor('s0', [1, 4], rand(4, 6, 0.5)), ...(o.inits ?? [])],
    opset: 13,
  });
}

const x = { x: { dims: [1, 4], data: rand(4, 9, 0.8) } };

test('a Loop with a constant trip count is unrolled and equals onnxruntime', { skip }, async () => {
  const r = await checkAgainstOrt(loopModel(), x);
  assert.ok(!r.prepared.graph.nodes.some((n) => n.opType === 'Loop'));
  assert.equal(r.prepared.graph.nodes.filter((n) => n.opType === 'Tanh').length, 3, 'three iterations');
});

test('a Loop whose condition folds per iteration stops when it turns false', { skip }, async () => {
  // cond_out = i < 1 (the body reads `one` from the main graph): iterations 0 and 1 run, M = 10 is not reached
  const m = loopModel({ M: 10, condNodes: [node('Less', ['i', 'one'], ['cond_out'])], inits: [itensor('one', [], [1])] });
  const r = await checkAgainstOrt(m, x);
  assert.equal(r.prepared.graph.nodes.filter((n) => n.opType === 'Tanh').length, 2, 'two iterations');
});

test('a Loop nested in a Loop body reads the outer body’s values (renamed per iteration)', { skip }, async () => {
  const inner = {
    inputs: [{ name: 'j', dims: [], dtype: DT.INT64 }, COND('ci'), F('u', [1, 4])],
    nodes: [node('Add', ['u', 's'], ['us']), node('Mul', ['us', 'half'], ['u_out']), node('Identity', ['ci'], ['co'])],
    outputs: [COND('co'), F('u_out', [1, 4])],
  };
  const outer = {
    inputs: [ITER, COND('cond_in'), F('s', [1, 4])],
    nodes: [node('Loop', ['M', 'cond_in', 'x'], ['t'], { body: { graph: inner } }, 'inner'), node('Tanh', ['t'], ['s_out']), node('Identity', ['cond_in'], ['cond_out'])],
    outputs: [COND('cond_out'), F('s_out', [1, 4])],
  };
  const bytes = buildModel({
    inputs: [F('x', [1, 4])],
    outputs: ['s_final'],
    nodes: [node('Loop', ['M', 'c0', 's0'], ['s_final'], { body: { graph: outer } }, 'outer')],
    inits: [itensor('M', [], [2]), boolTensor('c0', true), ftensor('s0', [1, 4], rand(4, 6, 0.5)), ftensor('half', [], [0.5])],
    opset: 13,
  });
  const r = await checkAgainstOrt(bytes, x);
  assert.equal(r.prepared.graph.nodes.filter((n) => n.opType === 'Tanh').length, 2);
});

/** h ← Tanh(h·Wr + x_t) over the rows of X [5, 4] (axis 0), scan output h. */
function scanModel(attrs: Record<string, A>, outDims: number[]): Uint8Array {
  const body = {
    inputs: [F('h', [1, 4]), F('xt', [4])],
    nodes: [node('MatMul', ['h', 'Wr'], ['hw']), node('Add', ['hw', 'xt'], ['pre']), node('Tanh', ['pre'], ['h_out']), node('Identity', ['h_out'], ['y'])],
    inits: [ftensor('Wr', [4, 4], rand(16, 15, 0.6))],
    outputs: [F('h_out', [1, 4]), F('y', [1, 4])],
  };
  return buildModel({
    inputs: [F('X', [5, 4])],
    outputs: ['h_last', { name: 'Y', dims: outDims }],
    nodes: [node('Scan', ['h0', 'X'], ['h_last', 'Y'], { num_scan_inputs: 1, body: { graph: body }, ...attrs }, 'scan')],
    inits: [ftensor('h0', [1, 4], rand(4, 16, 0.5))],
    opset: 13,
  });
}

const X = { X: { dims: [5, 4], data: rand(20, 17, 1) } };

test('a Scan is unrolled over its scan axis and equals onnxruntime', { skip }, async () => {
  const r = await checkAgainstOrt(scanModel({}, [5, 1, 4]), X);
  assert.ok(!r.prepared.graph.nodes.some((n) => n.opType === 'Scan'));
});

test('a reverse Scan with its output stacked on axis 1 equals onnxruntime', { skip }, async () => {
  await checkAgainstOrt(scanModel({ scan_input_directions: [1], scan_output_directions: [1], scan_output_axes: [1] }, [1, 5, 4]), X);
});

test('a Loop whose trip count or condition is computed at run time is refused, saying why', () => {
  const input = [{ x: Array.from(rand(4, 9, 0.8)) }];
  const runtimeTrip = loopModel({ trip: [node('ReduceSum', ['x'], ['sum'], { keepdims: 0 }), node('Cast', ['sum'], ['m'], { to: 7 })], tripName: 'm' });
  assert.throws(() => compileOnnx(runtimeTrip, input), /Loop 'loop': the trip count 'm' is computed at run time/);
  const runtimeCond = loopModel({ condNodes: [node('ReduceSum', ['s_out'], ['tot'], { keepdims: 0 }), node('Greater', ['tot', 'zero'], ['cond_out'])], inits: [ftensor('zero', [], [0])] });
  assert.throws(() => compileOnnx(runtimeCond, input), /Loop 'loop': the condition 'cond_out' of iteration 0 is computed at run time/);
  const runtimeStart = loopModel({ trip: [node('ReduceSum', ['x'], ['tot'], { keepdims: 0 }), node('Greater', ['tot', 'zero'], ['c'])], condName: 'c', inits: [ftensor('zero', [], [0])] });
  assert.throws(() => compileOnnx(runtimeStart, input), /Loop 'loop': its condition 'c' is computed at run time/);
});
