/**
 * The smallest model of the real-model suite (`bench/real-models-suite.ts`), a pretrained
 * openWakeWord head shipped in the `openwakeword-js` package (a devDependency), end to end:
 * compile → commit → prove → verify, a receipt with a changed output or a changed proof byte
 * rejected, and the integer output within tolerance of onnxruntime's. Skips, saying why, when
 * the package (or onnxruntime-node) is not installed. Clear mode keeps it to a few seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compare, compileOnnx, withinTolerance } from '../../src/quantize/compile.js';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { decodeReceipt, encodeReceipt } from '../../src/verifier/receipt.js';
import { SUITE, modelBytes, packageDir } from '../../bench/real-models-suite.js';
import { NO_ORT, ort, runOrt } from './ort-check.js';

const m = SUITE.find((x) => x.name === 'openwakeword hello_deepa')!;
const pkg = 'pkg' in m.source ? m.source.pkg : '';
const skip = !packageDir(pkg) ? `package '${pkg}' is not installed (npm ci installs the devDependencies): the real-model test is skipped` : !ort ? NO_ORT : false;

test('a pretrained openWakeWord head: compile, commit, prove, verify, tampering rejected, int8 within tolerance of onnxruntime', { skip }, async () => {
  const onnx = modelBytes(m);
  const input = m.input();
  const [name] = Object.keys(input);
  const { model } = compileOnnx(onnx, [input]);
  const ref = await runOrt(onnx, { [name]: { dims: model.inputs[0].dims, data: input[name] } });

  const cm = commitModel(model);
  const res = prove(cm, input);
  const v = verifyReceipt(res.receipt, cm.modelId, input);
  assert.ok(v.ok, v.ok ? '' : v.error.message);
  for (const o of res.outputs) {
    const r = ref.get(o.name)!;
    const cmp = compare(r.data, o.values, 2 ** -o.exp);
    assert.ok(withinTolerance(cmp, r.data.reduce((a, x) => Math.max(a, Math.abs(x)), 0)), `output '${o.name}': rel. L2 ${cmp.relL2}, max abs ${cmp.maxAbs} against onnxruntime`);
  }

  const rc = decodeReceipt(res.receipt);
  rc.outputs[0].values[0] += rc.outputs[0].values[0] < 100 ? 5 : -5;
  const forged = verifyReceipt(encodeReceipt(rc), cm.modelId, input);
  assert.equal(forged.ok, false, 'a receipt claiming another score verifies');
  const flipped = res.receipt.slice();
  flipped[flipped.length - 100] ^= 1;
  assert.equal(verifyReceipt(flipped, cm.modelId, input).ok, false, 'a receipt with a changed proof byte verifies');
  const other = { [name]: input[name].map((x, k) => (k === 0 ? x + 0.5 : x)) };
  assert.equal(verifyReceipt(res.receipt, cm.modelId, other).ok, false, 'the receipt verifies for another input');
});
