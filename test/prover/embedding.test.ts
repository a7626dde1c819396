/**
 * Embeddings on integer inputs (issue 16 item 3): an int64 token-id input taken as integers, and
 * Gather(E, ids) proven as an indexed lookup into the committed parameter E
 * (`piop/lookup/indexed.ts`, `ops/proofs/embedding.ts`), in clear and zero-knowledge receipts.
 * Forged witnesses — a wrong row, a wrong index with the row kept, an index out of range
 * (≥ V, negative) with multiplicities forged to match, forged multiplicities — are rejected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, floatTensor, int64Tensor, node, type ModelSpec } from '../../src/model/onnx-writer.js';
import { DT } from '../../src/model/onnx-proto.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { runFloat } from '../../src/model/prepare.js';
import { toTensors } from '../../src/quantize/compile.js';
import { runQuantized } from '../../src/quantize/infer.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { deterministicInput, parseInputJson } from '../../src/cli/inputs.js';
import { opHarness, rejectedBy, vec, type Vals } from './harness.js';
import type { CommittedModel } from '../../src/prover/commit.js';

const V = 50;
const D = 6;
const T = 5;

/** ids[T] (int64) → Gather(E[V, D]) → Gemm(D→8) → Relu → Gemm(8→3); `reshape`: ids[1, T] reshaped to [T] first. */
function embeddingMlp(reshape: boolean, v = V): ModelSpec {
  const nodes = [
    ...(reshape ? [node('Reshape', ['ids', 'flat'], ['ids1'], {}, 'flatten_ids')] : []),
    node('Gather', ['E', reshape ? 'ids1' : 'ids'], ['emb'], { axis: 0 }, 'wte'),
    node('Gemm', ['emb', 'w1', 'b1'], ['h'], { transB: 1 }, 'fc1'),
    node('Relu', ['h'], ['r'], {}, 'relu'),
    node('Gemm', ['r', 'w2', 'b2'], ['y'], { transB: 1 }, 'fc2'),
  ];
  return {
    inputs: [{ name: 'ids', dims: reshape ? [1, T] : [T], dtype: DT.INT64 }],
    outputs: ['y'],
    nodes,
    inits: [
      floatTensor('E', [v, D], vec(v * D, 1, 0.8)),
      floatTensor('w1', [8, D], vec(8 * D, 2, 0.5)),
      floatTensor('b1', [8], vec(8, 3, 0.1)),
      floatTensor('w2', [3, 8], vec(24, 4, 0.5)),
      floatTensor('b2', [3], vec(3, 5, 0.1)),
      ...(reshape ? [int64Tensor('flat', [1], [T])] : []),
    ],
  };
}

const ids = [3, 0, 49, 17, 3];
const samples = [{ ids }, { ids: [1, 2, 3, 4, 5] }, { ids: [49, 48, 47, 0, 10] }];

test('an int64 input is taken as integers in its declared range [0, V − 1]; bad values are named', () => {
  const { model, prepared } = compileOnnx(buildModel(embeddingMlp(false)), samples);
  const inp = model.inputs[0];
  assert.deepEqual([inp.exp, inp.lo, inp.hi, inp.int], [0, 0, V - 1, true]);
  assert.ok(model.layers.some((l) => l.kind === 'embed'), 'the Gather is an embedding layer');
  // the integer output follows the float reference
  const f = runFloat(prepared, toTensors(prepared, { ids })).get('y')!.data;
  const q = runQuantized(model, { ids }).outputs[0].values;
  const err = Math.sqrt(q.reduce((s, v, i) => s + (v - f[i]) ** 2, 0) / f.reduce((s, v) => s + v * v, 0));
  assert.ok(err < 0.1, `relative L2 error ${err}`);
  // the CLI's JSON reader and its default input give the same integers
  const fromJson = parseInputJson('{"ids": [[3, 0, 49, 17, 3]]}', model.inputs);
  assert.deepEqual(Array.from(runQuantized(model, fromJson).outputs[0].q), Array.from(runQuantized(model, { ids }).outputs[0].q));
  const det = deterministicInput(prepared.graph.inputs);
  assert.ok(det.ids.every((v) => v === 0 || v === 1), JSON.stringify(det.ids));
  runQuantized(model, det);
  assert.throws(() => runQuantized(model, parseInputJson('{"ids": [3, 0, 2.5, 1, 1]}', model.inputs)), /input 'ids': value 2.5 at index 2 is not an integer/);
  assert.throws(() => runQuantized(model, { ids: [3, 0, 50, 1, 1] }), /input 'ids': value 50 at index 2 is outside the declared integer range \[0, 49\]/);
  assert.throws(() => runQuantized(model, { ids: [-1, 0, 5, 1, 1] }), /value -1 at index 0 is outside the declared integer range/);
});

const h = opHarness(embeddingMlp(false), samples);
const hr = opHarness(embeddingMlp(true), samples);

test('embedding + MLP on int64 ids: clear and zero-knowledge receipts verify, with the integer outputs', () => {
  for (const x of [h, hr]) {
    const receipt = x.assertHonest();
    const v = verifyReceipt(receipt, x.cm.modelId, x.input);
    assert.ok(v.ok);
    assert.deepEqual(Array.from(v.outputs[0].q), Array.from(runQuantized(x.model, x.input).outputs[0].q));
  }
});

/** Sets entry i of tensor `name` (a copy). */
function set(vals: Vals, name: string, i: number, value: number): void {
  const c = Int32Array.from(vals.get(name)!);
  c[i] = value;
  vals.set(name, c);
}

/** The multiplicity vector of the committed-table instance (`#multK`), from the circuit. */
function tableMult(cm: CommittedModel): string {
  return cm.circuit.lookups.find((g) => g.table.kind === 'committed')!.mult;
}

/** Row t of the embedding output replaced by row `v` of the quantized table. */
function copyRow(x: typeof h, vals: Vals, t: number, v: number): void {
  const L = x.model.layers.find((l) => l.kind === 'embed')!;
  if (L.kind !== 'embed') throw new Error('no embed layer');
  const c = Int32Array.from(vals.get(L.output)!);
  for (let j = 0; j < D; j++) c[t * D + j] = L.table[v * D + j];
  vals.set(L.output, c);
}

test('forged embedding witnesses are rejected (clear and zero-knowledge)', () => {
  const table = /table rows:wte\/table/;
  // a wrong row: one entry of O's row 1 changed
  rejectedBy(h, 'O row changed', table, (vals) => set(vals, 'emb', 1 * D + 2, Number(vals.get('emb')![1 * D + 2]) + 1));
  // a wrong row, multiplicities kept consistent: row 0's output is E's row 7 while idx_0 = 3
  rejectedBy(h, 'O row of another index', table, (vals) => copyRow(h, vals, 0, 7));
  // forged multiplicities only
  h.assertForgedRejected('multiplicities', (vals, phase) => {
    if (phase !== 'multiplicities') return;
    const name = tableMult(h.cm);
    const m = Int32Array.from(vals.get(name)!);
    m[3] -= 1;
    m[4] += 1;
    vals.set(name, m);
  });
});

test('a wrong or out-of-range index is rejected by the lookups themselves, rows and multiplicities forged to match', () => {
  // the reshaped model's indices are a witness tensor; the forging prover recounts m from the
  // forged keys, so no multiplicity is left unbalanced and only the lookup's binding can object
  const idsT = hr.cm.circuit.layers.find((l) => l.layer.kind === 'embed')!.layer.inputs[0];
  const forge = (what: string, where: RegExp, t: number, v: number, row: number | 'zero') =>
    rejectedBy(hr, what, where, (vals) => {
      set(vals, idsT, t, v);
      if (row === 'zero') {
        const c = Int32Array.from(vals.get('emb')!);
        c.fill(0, t * D, (t + 1) * D);
        vals.set('emb', c);
      } else copyRow(hr, vals, t, row);
    });
  const table = /table rows:wte\/table/;
  forge('wrong index, row kept', table, 1, 5, 0);
  forge('index ≥ 2^b with a zero row', table, 1, 64, 'zero');
  forge('negative index', table, 0, -1, 49);
  // idx = V with a zero row IS a row of the table (its padding (V, 0)): the range check refuses it
  forge('index V (the padding row)', /table range6/, 2, V, 'zero');
  forge('index 63 (the last padding row)', /table range6/, 2, 63, 'zero');
});

test('a causal mask built from the int64 input’s shape (Shape, ConstantOfShape, Trilu, Equal, Where) folds and the model proves', () => {
  const bytes = buildModel({
    inputs: [{ name: 'ids', dims: [T], dtype: DT.INT64 }],
    outputs: ['y'],
    nodes: [
      node('Gather', ['E', 'ids'], ['emb'], { axis: 0 }, 'wte'),
      node('MatMul', ['emb', 'wq'], ['scores'], {}, 'scores'),
      node('Shape', ['ids'], ['s']),
      node('Concat', ['s', 's'], ['ss'], { axis: 0 }),
      node('ConstantOfShape', ['ss'], ['ones'], { value: int64Tensor('one', [1], [1]) as never }),
      node('Trilu', ['ones'], ['tri'], { upper: 0 }),
      node('Equal', ['tri', 'zero'], ['future']),
      node('Where', ['future', 'neg', 'scores'], ['y'], {}, 'mask'),
    ],
    inits: [floatTensor('E', [V, D], vec(V * D, 1, 0.8)), floatTensor('wq', [D, T], vec(D * T, 7, 0.5)), int64Tensor('zero', [], [0]), floatTensor('neg', [], [-2])],
  });
  const { model, prepared, report } = compileOnnx(bytes, samples);
  assert.ok(!prepared.graph.nodes.some((n) => ['Shape', 'ConstantOfShape', 'Trilu', 'Equal'].includes(n.opType)), 'the mask folded');
  assert.ok(report.every((r) => r.relL2 < 0.1), JSON.stringify(report));
  const y = runQuantized(model, { ids }).outputs[0].values;
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) assert.equal(y[i * T + j], -2, `masked entry (${i}, ${j})`);
  const m = opHarness(bytes, samples);
  m.assertHonest();
});
