import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatedModel } from '../../src/model/generated.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { verifyReceipt } from '../../src/verifier/verify.js';

for (const name of ['mlp-tiny', 'cnn-tiny'] as const) {
  test(`${name}: honest receipt verifies`, (t) => {
    const g = generatedModel(name);
    const { model } = compileOnnx(g.onnx, g.inputs);
    let cm;
    try {
      cm = commitModel(model);
    } catch (e) {
      t.skip(`not provable yet: ${(e as Error).message}`);
      return;
    }
    const res = prove(cm, g.inputs[0]);
    const v = verifyReceipt(res.receipt, cm.modelId, g.inputs[0]);
    assert.ok(v.ok, v.ok ? '' : `${v.error.kind}: ${v.error.message}`);
  });
}
