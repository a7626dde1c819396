/**
 * The demo's trained model: accuracy of the float model on held-out digits, bit-for-bit
 * determinism of the exported ONNX, and the project's own front end on it — import, quantize
 * (compileOnnx with the returned calibration set) and integer inference agreeing with the labels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDigits } from '../../src/demo/digits.js';
import { INPUT_NAME, OUTPUT_NAME, trainDigitsModel } from '../../src/demo/train.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { runQuantized } from '../../src/quantize/infer.js';

const trained = trainDigitsModel();

test('digits: deterministic, 64 pixels in [0, 1], all ten classes', () => {
  const a = makeDigits(200, 5);
  const b = makeDigits(200, 5);
  assert.deepEqual(a.y, b.y);
  for (let i = 0; i < 200; i++) assert.deepEqual(a.x[i], b.x[i]);
  assert.notDeepEqual(makeDigits(50, 6).y, a.y.slice(0, 50));
  assert.equal(new Set(a.y).size, 10);
  for (const im of a.x) {
    assert.equal(im.length, 64);
    for (const v of im) assert.ok(v >= 0 && v <= 1);
  }
});

test('training reaches ≥ 90% held-out accuracy', (t) => {
  t.diagnostic(`trained in ${trained.ms.toFixed(0)} ms, ${trained.params} parameters, train ${(100 * trained.trainAccuracy).toFixed(1)}%, test ${(100 * trained.testAccuracy).toFixed(1)}%`);
  assert.ok(trained.testAccuracy >= 0.9, `test accuracy ${trained.testAccuracy}`);
  assert.equal(trained.params, 64 * 32 + 32 + 32 * 10 + 10);
  assert.equal(trained.samples.length, 200);
  assert.ok(trained.calibration.length > 0 && trained.calibration.every((c) => c[INPUT_NAME].length === 64));
});

test('same seed gives the same ONNX bytes; another seed does not', () => {
  const again = trainDigitsModel();
  assert.deepEqual(again.onnx, trained.onnx);
  assert.equal(again.testAccuracy, trained.testAccuracy);
  const other = trainDigitsModel({ seed: 2, epochs: 1 });
  assert.notDeepEqual(other.onnx, trained.onnx);
});

test('the ONNX compiles with the front end and the quantized model classifies held-out digits', (t) => {
  const { model, report } = compileOnnx(trained.onnx, trained.calibration);
  assert.deepEqual(model.inputs.map((i) => [i.name, i.dims]), [[INPUT_NAME, [1, 64]]]);
  assert.deepEqual(model.outputs.map((o) => [o.name, o.dims]), [[OUTPUT_NAME, [1, 10]]]);
  assert.ok(report.every((r) => r.argmaxAgree !== false), JSON.stringify(report));
  let ok = 0;
  for (const s of trained.samples) {
    const out = runQuantized(model, { [INPUT_NAME]: s.input }, { strict: false }).outputs[0].values;
    let best = 0;
    for (let c = 1; c < out.length; c++) if (out[c] > out[best]) best = c;
    if (best === s.label) ok++;
  }
  const acc = ok / trained.samples.length;
  t.diagnostic(`quantized accuracy ${(100 * acc).toFixed(1)}% on ${trained.samples.length} held-out digits`);
  assert.ok(acc >= 0.85, `quantized accuracy ${acc}`);
});
