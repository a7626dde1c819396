/**
 * Generated benchmark models: the small ones import and compile with the front end (quantization
 * within tolerance of the float reference), every model's stated parameter count matches its
 * initializers, and generation is deterministic. The big ones are not compiled here (too slow).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countParameters, generatedModel, GENERATED_PARAMS } from '../../src/model/generated.js';
import { runFloat } from '../../src/model/prepare.js';
import { compileOnnx, toTensors, withinTolerance } from '../../src/quantize/compile.js';

for (const name of ['mlp-tiny', 'cnn-tiny'] as const) {
  test(`${name} imports, compiles and matches the float reference`, () => {
    const g = generatedModel(name);
    assert.equal(countParameters(g.onnx), GENERATED_PARAMS[name]);
    assert.equal(g.inputs.length, 4);
    for (const s of g.inputs) for (const v of s.input) assert.ok(v >= -1 && v <= 1);
    const { prepared, model, report } = compileOnnx(g.onnx, g.inputs);
    assert.deepEqual(model.inputs[0].dims, g.inputDims);
    assert.deepEqual(model.outputs[0].dims, [1, 10]);
    const ref = runFloat(prepared, toTensors(prepared, g.inputs[0])).get('logits')!;
    const refMax = Math.max(...Array.from(ref.data, Math.abs));
    assert.ok(refMax > 0.05, `logits should not vanish, got max |y| = ${refMax}`);
    for (const r of report) assert.ok(withinTolerance(r, refMax), `${name}: ${JSON.stringify(r)}`);
  });
}

test('generation is deterministic and the seed changes the weights', () => {
  assert.deepEqual(generatedModel('cnn-tiny').onnx, generatedModel('cnn-tiny').onnx);
  assert.notDeepEqual(generatedModel('cnn-tiny', { seed: 2 }).onnx, generatedModel('cnn-tiny').onnx);
});

test('mlp-4m and cnn-cifar have their stated parameter counts', () => {
  assert.equal(countParameters(generatedModel('mlp-4m').onnx), 4_207_626);
  assert.equal(GENERATED_PARAMS['mlp-4m'], 4_207_626);
  assert.equal(countParameters(generatedModel('cnn-cifar').onnx), 257_978);
});

test('an unknown name is an error that lists the known ones', () => {
  assert.throws(() => generatedModel('resnet'), /expected one of mlp-tiny, cnn-tiny.*got 'resnet'/);
});
