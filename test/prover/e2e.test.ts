/** End to end on the small generated models: compile → commit → prove → verify, honest receipts verify. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatedModel } from '../../src/model/generated.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { runQuantized } from '../../src/quantize/infer.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { assertSecure } from './harness.js';

for (const name of ['mlp-tiny', 'cnn-tiny'] as const) {
  test(`${name}: honest receipt verifies and carries the integer inference's output`, () => {
    const g = generatedModel(name);
    const { model } = compileOnnx(g.onnx, g.inputs);
    const cm = commitModel(model);
    for (const input of g.inputs.slice(0, 2)) {
      const res = prove(cm, input);
      const v = verifyReceipt(res.receipt, cm.modelId, input);
      assert.ok(v.ok, v.ok ? '' : `${v.error.kind}: ${v.error.message}`);
      assertSecure(res.receipt);
      assert.deepEqual(Array.from(v.outputs[0].q), Array.from(runQuantized(model, input).outputs[0].q));
    }
  });
}
