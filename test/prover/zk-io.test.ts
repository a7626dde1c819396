/**
 * Committed inputs and outputs of zero-knowledge receipts (`circuit/zk-io.ts`): a receipt with a
 * private input or a committed output verifies without those values, states each tensor's
 * visibility, and the requester's opening rebuilds its io commitment; every binding — the names,
 * the commitment, the opening, the range and zero padding of private inputs (int8 and integer
 * token ids) — is checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatedModel } from '../../src/model/generated.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { decodeReceipt, encodeReceipt } from '../../src/verifier/receipt.js';
import { proveZkIoRange, readZkIoRange, visibilityIssue, zkIoLayout, zkIoVector, type ZkVisibility } from '../../src/circuit/zk-io.js';
import { buildModel, floatTensor, node, type ModelSpec } from '../../src/model/onnx-writer.js';
import { DT } from '../../src/model/onnx-proto.js';
import { checkConstraints } from '../../src/pcs/constraints.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { ByteReader, ByteWriter } from '../../src/util/bytes.js';
import { mlp, rand } from '../model/onnx-builder.js';

const g = generatedModel('mlp-tiny');
const { model } = compileOnnx(g.onnx, g.inputs);
const zcm = commitModel(model, { zk: { openings: 16, seed: new Uint8Array(32).fill(3) } });
const input = g.inputs[0];
const inName = model.inputs[0].name;
const outName = model.outputs[0].name;

test('a receipt with a private input and a committed output verifies, and the opening rebuilds its commitment', () => {
  const res = prove(zcm, input, { committed: { inputs: true, outputs: true } });
  assert.ok(res.opening, 'the prover returns the opening');
  const rc = decodeReceipt(res.receipt);
  assert.equal(rc.version, 4);
  assert.deepEqual(rc.inputs, []);
  assert.deepEqual(rc.outputs, []);
  const v = verifyReceipt(res.receipt, zcm.modelId);
  assert.ok(v.ok, v.ok ? '' : `${v.error.kind}: ${v.error.message}`);
  assert.deepEqual(v.outputs, [], 'a committed output is not known without the opening');
  assert.deepEqual(v.visibility.inputs, { [inName]: 'private' });
  const o = verifyReceipt(res.receipt, zcm.modelId, input, { opening: res.opening });
  assert.ok(o.ok, o.ok ? '' : `${o.error.kind}: ${o.error.message}`);
  assert.deepEqual(Array.from(o.outputs[0].q), Array.from(res.outputs[0].q));
  assert.equal(o.visibility.opened, true);
});

const committedBoth = { inputs: true, outputs: true } as const;
const made = prove(zcm, input, { committed: committedBoth });

test('the opening is checked: other values, another seed, a missing or extra tensor are refused', () => {
  const { receipt, opening } = made;
  assert.ok(opening);
  const kind = (o: unknown) => {
    const v = verifyReceipt(receipt, zcm.modelId, undefined, { opening: o as never });
    return v.ok ? 'ok' : v.error.kind;
  };
  assert.equal(kind(opening), 'ok');
  const otherIn = new Map(opening.values);
  const x = Int32Array.from(otherIn.get(inName)!);
  x[0] = x[0] === 0 ? 1 : 0;
  otherIn.set(inName, x);
  assert.equal(kind({ seed: opening.seed, values: otherIn }), 'OpeningMismatch');
  const otherOut = new Map(opening.values);
  const y = Int32Array.from(otherOut.get(outName)!);
  y[0] += 1;
  otherOut.set(outName, y);
  assert.equal(kind({ seed: opening.seed, values: otherOut }), 'OpeningMismatch', 'a different output does not open the commitment');
  const seed = opening.seed.slice();
  seed[0] ^= 1;
  assert.equal(kind({ seed, values: opening.values }), 'OpeningMismatch');
  assert.equal(kind({ seed: opening.seed, values: new Map([[inName, opening.values.get(inName)!]]) }), 'OpeningMismatch');
  assert.equal(kind({ seed: opening.seed, values: new Map([...opening.values, ['nope', new Int32Array(1)]]) }), 'OpeningMismatch');
  assert.equal(kind({ seed: opening.seed.subarray(0, 16), values: opening.values }), 'BadOpening');
  assert.equal(kind({ seed: 'x' }), 'BadOpening');
});

test('one seed for two receipts of the same input still gives two different io commitments (the witness commitment is mixed in)', () => {
  const seed = new Uint8Array(32).fill(11);
  const r1 = prove(zcm, input, { committed: { inputs: true, seed } });
  const r2 = prove(zcm, input, { committed: { inputs: true, seed } });
  const c1 = decodeReceipt(r1.receipt).committed!.commitment;
  const c2 = decodeReceipt(r2.receipt).committed!.commitment;
  assert.notDeepEqual(c1, c2);
  for (const r of [r1, r2]) assert.ok(verifyReceipt(r.receipt, zcm.modelId, input, { opening: r.opening }).ok);
  const swapped = verifyReceipt(r1.receipt, zcm.modelId, undefined, { opening: { seed, values: r2.opening!.values } });
  assert.ok(swapped.ok, 'the same seed and values open both (each with its own receipt)');
});

test('a private input is compared only through the opening', () => {
  const { receipt, opening } = made;
  const a = verifyReceipt(receipt, zcm.modelId, input);
  assert.equal(a.ok ? '' : a.error.kind, 'OpeningRequired');
  const b = verifyReceipt(receipt, zcm.modelId, g.inputs[1], { opening });
  assert.equal(b.ok ? '' : b.error.kind, 'InputMismatch');
  const c = verifyReceipt(receipt, zcm.modelId, input, { opening });
  assert.ok(c.ok);
});

test('the committed names, the io commitment and the public lists are bound', () => {
  const rc = decodeReceipt(made.receipt);
  const other = decodeReceipt(prove(zcm, g.inputs[1], { committed: committedBoth }).receipt);
  const kind = (bytes: Uint8Array) => {
    const v = verifyReceipt(bytes, zcm.modelId);
    return v.ok ? 'ok' : v.error.kind;
  };
  // another receipt's io commitment
  assert.notEqual(kind(encodeReceipt({ ...rc, committed: { ...rc.committed!, commitment: other.committed!.commitment } })), 'ok');
  // the output moved to the public list with its true values (the statement changes)
  const outQ = made.opening!.values.get(outName)!;
  const revealed = { ...rc, committed: { ...rc.committed!, outputs: [] }, outputs: [{ name: outName, values: outQ }] };
  assert.notEqual(kind(encodeReceipt(revealed)), 'ok');
  // names that are not the model's, repeated, or both carried and committed
  assert.equal(kind(encodeReceipt({ ...rc, committed: { ...rc.committed!, inputs: ['nope'] } })), 'PublicMismatch');
  assert.equal(kind(encodeReceipt({ ...rc, committed: { ...rc.committed!, inputs: [inName, inName] } })), 'PublicMismatch');
  const both = { ...rc, outputs: [{ name: outName, values: outQ }] };
  assert.equal(kind(encodeReceipt(both)), 'PublicMismatch');
  // a flipped byte of the io commitment
  const flipped = rc.committed!.commitment.slice();
  flipped[3] ^= 1;
  assert.notEqual(kind(encodeReceipt({ ...rc, committed: { ...rc.committed!, commitment: flipped } })), 'ok');
});

test('versions are canonical: version 4 needs a committed tensor and zero knowledge, version 3 has none', () => {
  const rc = decodeReceipt(made.receipt);
  assert.throws(() => encodeReceipt({ ...rc, version: 3 }), /version 3/);
  assert.throws(() => encodeReceipt({ ...rc, committed: { inputs: [], outputs: [], commitment: rc.committed!.commitment } }), /at least one/);
  // hand-made bytes: version 4 with no committed name, and version 4 clear
  const honest = encodeReceipt(rc);
  const v = verifyReceipt(honest, zcm.modelId);
  assert.ok(v.ok);
  const asClear = honest.slice();
  asClear[8] = 0; // the zk flag
  const r = verifyReceipt(asClear, zcm.modelId);
  assert.equal(r.ok ? '' : r.error.kind, 'MalformedReceipt');
  assert.match(r.ok ? '' : r.error.message, /version-4 receipt/);
});

test('only committed inputs and outputs of the model, and zero-knowledge models', () => {
  assert.throws(() => prove(zcm, input, { committed: { inputs: ['nope'] } }), /'nope' is not a model input/);
  const clear = commitModel(model);
  assert.throws(() => prove(clear, input, { committed: { inputs: true } }), /zero-knowledge/);
});

// A private input with padding (12 entries in a 16-entry layout) and a public output.
const padded = (() => {
  const onnx = mlp(12, 8, 5);
  const inputs = [0, 1].map((s) => ({ x: Array.from(rand(12, 10 + s, 0.9)) }));
  const m = compileOnnx(onnx, inputs).model;
  return { cm: commitModel(m, { zk: { openings: 16, seed: new Uint8Array(32).fill(5) } }), inputs };
})();

test('a private input with a padded layout and a public output: verifies, the output stays public', () => {
  const { cm, inputs } = padded;
  const res = prove(cm, inputs[0], { committed: { inputs: ['x'] } });
  const v = verifyReceipt(res.receipt, cm.modelId);
  assert.ok(v.ok, v.ok ? '' : `${v.error.kind}: ${v.error.message}`);
  assert.deepEqual(Array.from(v.outputs[0].q), Array.from(res.outputs[0].q), 'a public output is in the result without an opening');
  assert.deepEqual(v.visibility.outputs, { y: 'public' });
  assert.deepEqual([...res.opening!.values.keys()], ['x']);
  const o = verifyReceipt(res.receipt, cm.modelId, inputs[0], { opening: res.opening });
  assert.ok(o.ok, o.ok ? '' : `${o.error.kind}: ${o.error.message}`);
});

/** The io range check's constraints on an io vector (alone, at base 0), proven and replayed on one transcript label. */
function ioSystem(vec: Uint32Array, vis: ZkVisibility, unchecked: boolean) {
  const c = padded.cm.circuit;
  const w = new ByteWriter(1 << 12);
  proveZkIoRange(new Transcript('test/io-range'), c, vis, vec, 0, w, unchecked);
  return readZkIoRange(new Transcript('test/io-range'), c, vis, new ByteReader(w.finish()), 0);
}

test('the private input’s range check and zero padding reject a value outside int8 and a non-zero padding entry', () => {
  const c = padded.cm.circuit;
  const vis: ZkVisibility = { inputs: ['x'], outputs: [] };
  const seed = new Uint8Array(32).fill(1);
  const nonce = new Uint8Array(8).fill(2);
  const x = Int32Array.from({ length: 12 }, (_, i) => i * 10 - 60);
  const honest = zkIoVector(c, vis, new Map([['x', x]]), seed, nonce);
  assert.equal(checkConstraints(honest, ioSystem(honest, vis, false)), null, 'the honest io vector satisfies its constraints');
  assert.throws(() => zkIoVector(c, vis, new Map([['x', Int32Array.from(x, (v, i) => (i === 3 ? 200 : v))]]), seed, nonce), /value 200 at 3/);
  const wide = zkIoVector(c, vis, new Map([['x', Int32Array.from(x, (v, i) => (i === 3 ? 200 : v))]]), seed, nonce, true);
  assert.notEqual(checkConstraints(wide, ioSystem(wide, vis, true)), null, 'an entry outside [−128, 127] fails the range check');
  const lay = zkIoLayout(c, vis);
  const off = lay.segments.get('x')!.offset;
  const pad = honest.slice();
  pad[off + 13] = 5; // a padding entry of the 16-entry layout
  const zero = ioSystem(pad, vis, true).linear.filter((l) => l.index.length === 1 && l.index[0] === off + 13);
  assert.equal(zero.length, 1, 'each padding entry has its zero constraint');
  const only = { linear: zero, tensor: [], hadamard: [] };
  assert.equal(checkConstraints(honest, only), null);
  assert.notEqual(checkConstraints(pad, only), null, 'a non-zero padding entry fails its zero constraint');
  const real = ioSystem(honest, vis, false).linear.filter((l) => l.index.length === 1 && l.index[0] === off + 11);
  assert.equal(real.length, 0, 'a real entry has none');
});

// A private int64 token-id input ([0, V − 1], V = 50: not a power of two) feeding an embedding.
const ids = (() => {
  const V = 50;
  const spec: ModelSpec = {
    inputs: [{ name: 'ids', dims: [4], dtype: DT.INT64 }],
    outputs: ['y'],
    nodes: [node('Gather', ['E', 'ids'], ['emb'], { axis: 0 }, 'wte'), node('Gemm', ['emb', 'w', 'b'], ['y'], { transB: 1 }, 'head')],
    inits: [floatTensor('E', [V, 6], Array.from(rand(V * 6, 21, 0.8))), floatTensor('w', [3, 6], Array.from(rand(18, 22, 0.5))), floatTensor('b', [3], [0.1, -0.1, 0.05])],
  };
  const samples = [{ ids: [3, 0, 49, 17] }, { ids: [1, 2, 3, 4] }];
  const m = compileOnnx(buildModel(spec), samples).model;
  return { V, cm: commitModel(m, { zk: { openings: 16, seed: new Uint8Array(32).fill(6) } }), samples };
})();

test('a private int64 token-id input: two range checks (x − lo and hi − x), the receipt verifies and the opening checks it', () => {
  const { cm, samples, V } = ids;
  const vis: ZkVisibility = { inputs: ['ids'], outputs: [] };
  const checks = zkIoLayout(cm.circuit, vis).range!.checks;
  assert.deepEqual(checks.map((ch) => [ch.bits, ch.upper, ch.lo, ch.hi]), [[6, false, 0, V - 1], [6, true, 0, V - 1]]);
  const res = prove(cm, samples[0], { committed: { inputs: ['ids'] } });
  const v = verifyReceipt(res.receipt, cm.modelId);
  assert.ok(v.ok, v.ok ? '' : `${v.error.kind}: ${v.error.message}`);
  assert.deepEqual(v.visibility.inputs, { ids: 'private' });
  const clear = verifyReceipt(prove(cm, samples[0]).receipt, cm.modelId, samples[0]);
  assert.ok(clear.ok);
  assert.deepEqual(Array.from(v.outputs[0].q), Array.from(clear.outputs[0].q), 'the same output as with the ids public');
  assert.ok(verifyReceipt(res.receipt, cm.modelId, samples[0], { opening: res.opening }).ok);
  const other = prove(cm, samples[1], { committed: { inputs: ['ids'] } });
  const mixed = verifyReceipt(res.receipt, cm.modelId, samples[0], { opening: other.opening });
  assert.equal(mixed.ok, false, 'the opening of another receipt');
  // an int8 input needs the lower check alone
  assert.deepEqual(zkIoLayout(padded.cm.circuit, { inputs: ['x'], outputs: [] }).range!.checks.map((ch) => [ch.bits, ch.upper]), [[8, false]]);
});

test('the token-id range checks reject an id ≥ V (even below 2^b) and a negative id', () => {
  const c = ids.cm.circuit;
  const vis: ZkVisibility = { inputs: ['ids'], outputs: [] };
  const seed = new Uint8Array(32).fill(4);
  const nonce = new Uint8Array(8).fill(5);
  const system = (vec: Uint32Array, unchecked: boolean) => {
    const w = new ByteWriter(1 << 12);
    proveZkIoRange(new Transcript('test/id-range'), c, vis, vec, 0, w, unchecked);
    return readZkIoRange(new Transcript('test/id-range'), c, vis, new ByteReader(w.finish()), 0);
  };
  const honest = zkIoVector(c, vis, new Map([['ids', Int32Array.of(3, 0, 49, 17)]]), seed, nonce);
  assert.equal(checkConstraints(honest, system(honest, false)), null, 'the honest io vector satisfies its constraints');
  for (const bad of [50, 63, -1]) {
    assert.throws(() => zkIoVector(c, vis, new Map([['ids', Int32Array.of(3, bad, 49, 17)]]), seed, nonce), new RegExp(`value ${bad} at 1`));
    const forged = zkIoVector(c, vis, new Map([['ids', Int32Array.of(3, bad, 49, 17)]]), seed, nonce, true);
    assert.notEqual(checkConstraints(forged, system(forged, true)), null, `id ${bad} passed the range checks`);
  }
});

test('a private input whose range does not contain 0 or spans more than 2^16 values is refused by name', () => {
  const t = ids.cm.circuit.tensors.get('ids')!;
  const shifted = { ...ids.cm.circuit, tensors: new Map([...ids.cm.circuit.tensors].map(([n, x]) => [n, n === 'ids' ? { ...t, lo: 1, hi: 50 } : x])) };
  assert.match(visibilityIssue(shifted, { inputs: ['ids'], outputs: [] }) ?? '', /input 'ids' takes values in \[1, 50\]; a private input's range must contain 0/);
  const wide = { ...ids.cm.circuit, tensors: new Map([...ids.cm.circuit.tensors].map(([n, x]) => [n, n === 'ids' ? { ...t, lo: 0, hi: 2 ** 16 } : x])) };
  assert.match(visibilityIssue(wide, { inputs: ['ids'], outputs: [] }) ?? '', /span at most 2\^16/);
});
