/**
 * A product whose calibrated value is far from its operands' scale: Relu(x)·Relu(−x) is 0 on every
 * input, so its output takes the zero rule's exponent, while the operands are calibrated at ±1e5
 * (a shift up of 2^27) or at ±1e-9 (a shift down of 2^73). Either shift would let the requantisation
 * relation wrap mod p; the lowering takes the nearest output scale that cannot (`ops/binary.ts`
 * `lowerMul`), so the model compiles, computes 0 and is proven. A Gemm reading such a product (at the
 * zero rule's fine scale) keeps its bias within three digits (`quantize/lowering.ts` linearRowCaps),
 * where the circuit's digit bound on the bias fits p.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, ftensor, node, rand } from '../model/onnx-builder.js';
import { BIAS_MAX } from '../../src/quantize/lowering.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { runQuantized } from '../../src/quantize/infer.js';
import { bump, opHarness } from '../prover/harness.js';

function disjointProduct(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [1, 8] }],
    outputs: ['y'],
    nodes: [
      node('Relu', ['x'], ['a']),
      node('Mul', ['x', 'minus'], ['nx']),
      node('Relu', ['nx'], ['b']),
      node('Mul', ['a', 'b'], ['p'], {}, 'product'),
      node('Add', ['p', 'quarter'], ['y']),
    ],
    inits: [ftensor('minus', [], [-1]), ftensor('quarter', [], [0.25])],
  });
}

for (const [what, scale] of [['±1e5', 1e5], ['±1e-9', 1e-9]] as const) {
  test(`a product that is 0 on calibration, of operands at ${what}: compiles without a wrap, computes 0, is proven; a forged product is rejected`, () => {
    const input = { x: Array.from(rand(8, 61, scale)) };
    const r = compileOnnx(disjointProduct(), [input]);
    const p = r.model.layers.find((l) => l.name === 'product');
    assert.ok(p && p.kind === 'mul');
    const y = runQuantized(r.model, { x: Float64Array.from(input.x) }).outputs[0].values;
    assert.deepEqual(Array.from(y), new Array(8).fill(0.25));
    const h = opHarness(disjointProduct(), [input]);
    h.assertHonest();
    h.assertForgedRejected('p+1', (vals) => bump(vals, 'p', 2, 1));
  });
}

test('a Gemm with a bias reading a product that is 0 on calibration (input at 2^40): its bias stays within three digits; commits, is proven', () => {
  const m = buildModel({
    inputs: [{ name: 'x', dims: [1, 8] }],
    outputs: ['y'],
    nodes: [
      node('Relu', ['x'], ['a']),
      node('Mul', ['x', 'minus'], ['nx']),
      node('Relu', ['nx'], ['b']),
      node('Mul', ['a', 'b'], ['p'], {}, 'product'),
      node('Gemm', ['p', 'w', 'c'], ['y'], { transB: 1 }, 'fc'),
    ],
    inits: [ftensor('minus', [], [-1]), ftensor('w', [3, 8], rand(24, 62, 0.5)), ftensor('c', [3], [0.04, -0.3, 0.7])],
  });
  const input = { x: Array.from(rand(8, 63, 1e-9)) };
  const r = compileOnnx(m, [input]);
  const fc = r.model.layers.find((l) => l.name === 'fc');
  assert.ok(fc && fc.kind === 'gemm' && fc.bias);
  for (const b of fc.bias) assert.ok(Math.abs(b) <= BIAS_MAX, `bias ${b} beyond three digits`);
  const y = runQuantized(r.model, { x: Float64Array.from(input.x) }).outputs[0].values;
  [0.04, -0.3, 0.7].forEach((c, i) => assert.ok(Math.abs(y[i] - c) <= 2 ** -r.model.outputs[0].exp, `y[${i}] = ${y[i]}, want ${c}`));
  opHarness(m, [input]).assertHonest();
});
