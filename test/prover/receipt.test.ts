/**
 * Receipt-level soundness (issue 5): an honest receipt verifies; a changed output element, another
 * model's ID, a changed public input, an older format, and tampered bytes anywhere (bit flips,
 * truncation, extension, random bytes) are all rejected with an error value, never an exception.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatedModel } from '../../src/model/generated.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { commitModel, decodeCommitted, encodeCommitted } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { decodeReceipt, encodeReceipt, receiptJson, verifyReceipt } from '../../src/verifier/index.js';
import { RECEIPT_VERSION } from '../../src/circuit/session.js';

const g = generatedModel('mlp-tiny');
const { model } = compileOnnx(g.onnx, g.inputs);
const cm = commitModel(model);
const input = g.inputs[0];
const { receipt, outputs } = prove(cm, input);

function rejects(bytes: Uint8Array, id = cm.modelId, inp?: Record<string, number[]>): string {
  let res;
  try {
    res = verifyReceipt(bytes, id, inp);
  } catch (e) {
    assert.fail(`verifyReceipt threw instead of returning an error: ${(e as Error).message}`);
  }
  assert.equal(res.ok, false, 'tampered receipt was accepted');
  return res.ok ? '' : res.error.kind;
}

test('honest receipt verifies, with and without the input, and reports the outputs', () => {
  const v = verifyReceipt(receipt, cm.modelId, input);
  assert.ok(v.ok, v.ok ? '' : v.error.message);
  assert.deepEqual(Array.from(v.outputs[0].q), Array.from(outputs[0].q));
  assert.ok(verifyReceipt(receipt, cm.modelId).ok);
  const j = receiptJson(decodeReceipt(receipt));
  assert.equal(j.zk, false);
  assert.equal(j.modelId, cm.modelId);
});

test('a changed output element is rejected', () => {
  const rc = decodeReceipt(receipt);
  rc.outputs[0].values[0] += rc.outputs[0].values[0] < 127 ? 1 : -1;
  rejects(encodeReceipt(rc));
});

test('a receipt checked against another model ID is rejected', () => {
  const other = generatedModel('mlp-tiny', { seed: 99 });
  const cm2 = commitModel(compileOnnx(other.onnx, other.inputs).model);
  assert.notEqual(cm2.modelId, cm.modelId);
  assert.equal(rejects(receipt, cm2.modelId), 'ModelIdMismatch');
  // a receipt whose header claims the other ID but whose body is this model's
  const rc = decodeReceipt(receipt);
  rc.modelId = cm2.modelId;
  rejects(encodeReceipt(rc), cm2.modelId);
});

test('a changed public input is rejected, and so is a receipt for another input', () => {
  const rc = decodeReceipt(receipt);
  rc.inputs[0].values[3] += rc.inputs[0].values[3] < 127 ? 1 : -1;
  rejects(encodeReceipt(rc));
  const other = { ...input, [Object.keys(input)[0]]: input[Object.keys(input)[0]].map((v) => -v) };
  assert.equal(rejects(receipt, cm.modelId, other), 'InputMismatch');
});

test('a receipt from an older (or newer) format version is rejected', () => {
  for (const v of [RECEIPT_VERSION - 1, RECEIPT_VERSION + 1]) {
    const b = receipt.slice();
    new DataView(b.buffer).setUint32(4, v, true);
    assert.equal(rejects(b), 'MalformedReceipt');
  }
});

test('tampered bytes anywhere are rejected: bit flips, truncation, extension, garbage', () => {
  const n = receipt.length;
  let seed = 7;
  const positions = new Set<number>();
  for (let i = 0; i < 48; i++) positions.add(Math.floor((i / 48) * n));
  for (let i = 0; i < 48; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    positions.add(seed % n);
  }
  for (const p of positions) {
    const b = receipt.slice();
    b[p] ^= 1 << (p % 8);
    rejects(b);
  }
  for (const cut of [0, 3, 10, 50, Math.floor(n / 2), n - 1]) rejects(receipt.slice(0, cut));
  rejects(Uint8Array.from([...receipt, 0]));
  rejects(new Uint8Array(1000).map((_, i) => (i * 37) & 255));
  assert.equal(rejects(receipt, 'not-a-model-id'), 'BadModelId');
});

test('the committed model file round-trips and reproduces the model ID', () => {
  const back = decodeCommitted(encodeCommitted(cm));
  assert.equal(back.modelId, cm.modelId);
  const bad = encodeCommitted(cm);
  bad[8] ^= 1; // inside the stored model ID
  assert.throws(() => decodeCommitted(bad), /inconsistent|model ID/);
});
