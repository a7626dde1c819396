/**
 * LSTM, GRU and RNN unrolled in the front end (`src/model/recurrent.ts`, issue 16 item 2): each
 * generated model's float reference (the unrolled graph) equals onnxruntime's outputs, and the
 * quantized integer model is within tolerance of them (forward, reverse, bidirectional, initial
 * states, layout 1, constant sequence_lens, GRU's linear_before_reset 0 and 1, LSTM peepholes,
 * RNN with Relu). Attributes and inputs that cannot be unrolled are refused, naming them. One LSTM
 * and one GRU go end to end, in clear and zero-knowledge mode: compile → commit → prove → verify,
 * and a tampered receipt is rejected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, ftensor, itensor, node, rand, type A } from './onnx-builder.js';
import { checkAgainstOrt, NO_ORT, ort, runOrt } from './ort-check.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { runQuantized } from '../../src/quantize/infer.js';

type Cell = 'LSTM' | 'GRU' | 'RNN';
const GATES = { LSTM: 4, GRU: 3, RNN: 1 };

interface Spec {
  cell: Cell;
  direction?: 'forward' | 'reverse' | 'bidirectional';
  layout?: 0 | 1;
  seq?: number;
  batch?: number;
  I?: number;
  H?: number;
  bias?: boolean;
  /** initial_h (and initial_c) as graph inputs */
  initial?: boolean;
  seqLens?: number[];
  peepholes?: boolean;
  attrs?: Record<string, A>;
  outputs?: ('Y' | 'Y_h' | 'Y_c')[];
  seed?: number;
}

/** A one-node recurrent model with random weights, and an input for it. */
function recurrent(s: Spec): { bytes: Uint8Array; inputs: Record<string, { dims: number[]; data: Float64Array }> } {
  const { cell, direction = 'forward', layout = 0, seq = 4, batch = 2, I = 3, H = 5, seed = 1 } = s;
  const nd = direction === 'bidirectional' ? 2 : 1;
  const G = GATES[cell];
  const scale = 1 / Math.sqrt(H);
  const inits = [ftensor('W', [nd, G * H, I], rand(nd * G * H * I, seed, 2 * scale)), ftensor('R', [nd, G * H, H], rand(nd * G * H * H, seed + 1, 2 * scale))];
  const ins = ['X', 'W', 'R', '', '', '', '', ''];
  if (s.bias !== false) {
    inits.push(ftensor('B', [nd, 2 * G * H], rand(nd * 2 * G * H, seed + 2, 0.5)));
    ins[3] = 'B';
  }
  if (s.seqLens) {
    inits.push({ ...itensor('sl', [batch], s.seqLens), dataType: 6, int64Data: undefined, int32Data: s.seqLens });
    ins[4] = 'sl';
  }
  const xDims = layout === 0 ? [seq, batch, I] : [batch, seq, I];
  const sDims = layout === 0 ? [nd, batch, H] : [batch, nd, H];
  const inputs: Record<string, { dims: number[]; data: Float64Array }> = { X: { dims: xDims, data: rand(seq * batch * I, seed + 3, 1.5) } };
  if (s.initial) {
    ins[5] = 'h0';
    inputs.h0 = { dims: sDims, data: rand(nd * batch * H, seed + 4, 0.8) };
    if (cell === 'LSTM') {
      ins[6] = 'c0';
      inputs.c0 = { dims: sDims, data: rand(nd * batch * H, seed + 5, 0.8) };
    }
  }
  if (s.peepholes) {
    inits.push(ftensor('P', [nd, 3 * H], rand(nd * 3 * H, seed + 6, 0.5)));
    ins[7] = 'P';
  }
  while (ins[ins.length - 1] === '') ins.pop();
  const outs = s.outputs ?? (cell === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h']);
  const nodeOuts = ['Y', 'Y_h', 'Y_c'].slice(0, cell === 'LSTM' ? 3 : 2).map((o) => (outs.includes(o as 'Y') ? o : ''));
  while (nodeOuts[nodeOuts.length - 1] === '') nodeOuts.pop();
  const attrs: Record<string, A> = { hidden_size: H, direction, ...(layout ? { layout } : {}), ...s.attrs };
  const bytes = buildModel({
    inputs: Object.entries(inputs).map(([name, v]) => ({ name, dims: v.dims })),
    outputs: outs,
    nodes: [node(cell, ins, nodeOuts, attrs, 'rnn')],
    inits,
    opset: layout ? 14 : 13,
  });
  return { bytes, inputs };
}

const cases: [string, Spec][] = [
  ['LSTM forward', { cell: 'LSTM' }],
  ['LSTM reverse with initial states', { cell: 'LSTM', direction: 'reverse', initial: true }],
  ['LSTM bidirectional with initial states', { cell: 'LSTM', direction: 'bidirectional', initial: true, seed: 7 }],
  ['LSTM layout 1, bidirectional, no bias', { cell: 'LSTM', direction: 'bidirectional', layout: 1, bias: false, initial: true, seed: 9 }],
  ['LSTM with peepholes', { cell: 'LSTM', peepholes: true, initial: true, seed: 11 }],
  ['LSTM with a constant sequence_lens (rows of different lengths), bidirectional', { cell: 'LSTM', direction: 'bidirectional', seqLens: [4, 2], batch: 2, seed: 13 }],
  ['LSTM with clip', { cell: 'LSTM', attrs: { clip: { float: 0.75 } }, initial: true, seed: 15 }],
  ['LSTM with only Y_h', { cell: 'LSTM', outputs: ['Y_h'], seed: 17 }],
  ['GRU forward, linear_before_reset 0', { cell: 'GRU' }],
  ['GRU bidirectional, linear_before_reset 1, initial state', { cell: 'GRU', direction: 'bidirectional', initial: true, attrs: { linear_before_reset: 1 }, seed: 19 }],
  ['GRU reverse, linear_before_reset 1, no initial state', { cell: 'GRU', direction: 'reverse', attrs: { linear_before_reset: 1 }, seed: 21 }],
  ['GRU layout 1 with initial state', { cell: 'GRU', layout: 1, initial: true, seed: 23 }],
  ['RNN forward (Tanh)', { cell: 'RNN', initial: true }],
  ['RNN bidirectional with Relu activations', { cell: 'RNN', direction: 'bidirectional', attrs: { activations: ['Relu', 'Relu'] }, seed: 25 }],
  ['RNN reverse with sequence_lens shorter than the sequence', { cell: 'RNN', direction: 'reverse', seqLens: [3, 3], seed: 27 }],
];

/** Swaps the first two axes (layout 1 ↔ layout 0 for X and the states), or applies `perm`. */
function permute(t: { dims: number[]; data: ArrayLike<number> }, perm = [1, 0, ...t.dims.slice(2).map((_, k) => k + 2)]) {
  const dims = perm.map((p) => t.dims[p]);
  const str = t.dims.map((_, k) => t.dims.slice(k + 1).reduce((a, b) => a * b, 1));
  const data = new Float64Array(t.data.length);
  const idx = dims.map(() => 0);
  for (let i = 0; i < data.length; i++) {
    data[i] = t.data[idx.reduce((o, v, k) => o + v * str[perm[k]], 0)];
    for (let k = dims.length - 1; k >= 0 && ++idx[k] === dims[k]; k--) idx[k] = 0;
  }
  return { dims, data };
}

/**
 * onnxruntime runs layout 0 only ("batchwise recurrent operations are not supported"): a layout-1
 * model is checked against onnxruntime's run of the same weights in layout 0 on transposed inputs,
 * its outputs transposed back (Y [seq, nd, batch, H] → [batch, seq, nd, H], states swap 0 and 1).
 */
async function layout1Reference(spec: Spec, inputs: Record<string, { dims: number[]; data: Float64Array }>) {
  const zero = recurrent({ ...spec, layout: 0 });
  const feeds = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, permute(v)]));
  const ref = await runOrt(zero.bytes, feeds);
  for (const [k, t] of ref) ref.set(k, { ...t, ...permute(t, k === 'Y' ? [2, 0, 1, 3] : undefined) });
  return ref;
}

for (const [name, spec] of cases) {
  test(`${name}: unrolled float reference equals onnxruntime, integer model within tolerance`, { skip: ort ? false : NO_ORT }, async (t) => {
    const { bytes, inputs } = recurrent(spec);
    const r = await checkAgainstOrt(bytes, inputs, spec.layout ? await layout1Reference(spec, inputs) : undefined);
    assert.ok(!r.prepared.graph.nodes.some((n) => ['LSTM', 'GRU', 'RNN'].includes(n.opType)), 'no recurrent node is left');
    t.diagnostic(`integer model vs onnxruntime: worst rel. L2 ${r.worst.toFixed(4)}, ${r.prepared.graph.nodes.length} nodes`);
  });
}

test('what cannot be unrolled is refused, naming the input or attribute', () => {
  const x = { X: Array.from(rand(24, 3, 1)) };
  const withRuntimeLens = buildModel({
    inputs: [{ name: 'X', dims: [4, 2, 3] }],
    outputs: ['Y'],
    nodes: [node('ReduceMax', ['X'], ['m'], { axes: [0, 2], keepdims: 0 }), node('Cast', ['m'], ['sl'], { to: 6 }), node('RNN', ['X', 'W', 'R', '', 'sl'], ['Y'], { hidden_size: 2 }, 'rnn')],
    inits: [ftensor('W', [1, 2, 3], rand(6, 1)), ftensor('R', [1, 2, 2], rand(4, 2))],
    opset: 13,
  });
  assert.throws(() => compileOnnx(withRuntimeLens, [x]), /RNN 'rnn': sequence_lens \('sl'\) is computed at run time/);
  const spec = (attrs: Record<string, A>) => recurrent({ cell: 'LSTM', attrs }).bytes;
  assert.throws(() => compileOnnx(spec({ activations: ['Sigmoid', 'Affine', 'Tanh'] }), [x]), /LSTM 'rnn': attribute activations names 'Affine', which is not supported/);
  assert.throws(() => compileOnnx(spec({ input_forget: 1 }), [x]), /LSTM 'rnn': attribute input_forget = 1/);
});

/** compile → commit → prove → verify, clear and zero knowledge; a changed output and a flipped byte are rejected. */
function endToEnd(spec: Spec): void {
  const { bytes, inputs } = recurrent(spec);
  const input = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, Array.from(v.data)]));
  const { model } = compileOnnx(bytes, [input]);
  for (const cm of [commitModel(model), commitModel(model, { zk: { openings: 2, seed: new Uint8Array(32).fill(spec.seed ?? 7) } })]) checkReceipt(cm, model, input);
}

function checkReceipt(cm: ReturnType<typeof commitModel>, model: ReturnType<typeof compileOnnx>['model'], input: Record<string, number[]>): void {
  const { receipt } = prove(cm, input);
  const v = verifyReceipt(receipt, cm.modelId, input);
  assert.ok(v.ok, v.ok ? '' : `${v.error.kind}: ${v.error.message}`);
  assert.equal(v.receipt.zk, cm.zk !== undefined, 'the receipt reports its mode');
  assert.deepEqual(v.outputs.map((o) => Array.from(o.q)), runQuantized(model, input).outputs.map((o) => Array.from(o.q)));
  const flipped = receipt.slice();
  flipped[Math.floor(flipped.length / 2)] ^= 0x10;
  assert.equal(verifyReceipt(flipped, cm.modelId, input).ok, false, 'a receipt with a flipped byte was accepted');
  const other = Object.fromEntries(Object.entries(input).map(([k, a]) => [k, a.map((x, i) => (i === 0 ? x + 0.5 : x))]));
  assert.equal(verifyReceipt(receipt, cm.modelId, other).ok, false, 'the receipt verified for another input');
}

test('LSTM end to end, clear and zk: compile, commit, prove, verify; tampered receipts rejected', () => {
  endToEnd({ cell: 'LSTM', seq: 3, batch: 1, I: 3, H: 4, initial: true, seed: 31 });
});

test('GRU end to end, clear and zk: compile, commit, prove, verify; tampered receipts rejected', () => {
  endToEnd({ cell: 'GRU', seq: 3, batch: 1, I: 3, H: 4, direction: 'bidirectional', attrs: { linear_before_reset: 1 }, seed: 33 });
});
